# Copyright (c) mmlogitkd contributors. All rights reserved.
from abc import abstractmethod
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from mmengine.model import BaseModel

from mmlogitkd.losses import ScaleDecoupledLoss
from mmlogitkd.registry import MODELS
from .data_preprocessor import DistillDataPreprocessor
from .paired_logits import PairedLogits
from .utils import build_host_model, freeze, load_teacher_checkpoint


class DistillWarmup:
    """Linear warm-up factor of the distillation losses.

    ``factor = min((step + 1) / length, 1)`` where ``step`` is the 0-based
    epoch (``by_epoch=True``) or iteration read from the runner's message
    hub, as the official DKD code does with its 1-based epoch. Outside a
    runner (no ``epoch``/``iter`` info) the factor is 1.

    An iteration-based loop reports epoch 0 for the whole run, where a ramp
    counted in epochs would never end: ``tools/train.py`` refuses that
    pairing before the model is built
    (:func:`~mmlogitkd.utils.runtime.check_warmup_unit`).

    Args:
        length (int): Number of epochs (or iterations) of the ramp.
        by_epoch (bool): Count epochs rather than iterations.
    """

    def __init__(self, length: int, by_epoch: bool = True) -> None:
        if length < 1:
            raise ValueError(f'distill_warmup.length must be >= 1, got '
                             f'{length}')
        self.length = length
        self.by_epoch = by_epoch

    def factor(self) -> float:
        step = MessageHub.get_current_instance().get_info(
            'epoch' if self.by_epoch else 'iter')
        if step is None:
            return 1.0
        return min((step + 1) / self.length, 1.0)


class BaseLogitDistiller(BaseModel):
    """A frozen teacher, a trained student and logit distillation losses.

    Owns everything that is the same in every task:

    - builds the student and the teacher in their host library's scope
      (``cfg_path`` to reuse a host's model file, see
      :func:`~mmlogitkd.distillers.utils.resolve_host_cfg`); each keeps its
      own ``data_preprocessor`` (a model config without one gets the
      distiller's), and :class:`DistillDataPreprocessor` gives each its own
      normalisation of the same batch;
    - loads the teacher from ``teacher_ckpt`` at build time, freezes it (no
      gradient, eval mode for the whole run, left out of the optimizer by
      :class:`~mmlogitkd.engine.DistillOptimWrapperConstructor`);
    - routes each distillation loss to the tensors it needs (plain logits
      ``[N, C]``, or views ``[N, C, K]`` for :class:`ScaleDecoupledLoss`),
      applies the warm-up and logs it as ``loss_distill_<name>`` beside the
      student's own losses.

    A task adapter only implements :meth:`paired_logits`: the student's task
    losses and the :class:`PairedLogits` of one batch, running the teacher
    under ``torch.no_grad``. Predict/tensor modes are the student's own, so
    the host library's metrics, test tools and exporters work unchanged.

    Args:
        student (dict): Config of the student, named in its host scope,
            e.g. ``dict(type='mmpretrain.ImageClassifier', ...)`` or
            ``dict(cfg_path='mmdet::_base_/models/faster-rcnn_r50_fpn.py',
            backbone=dict(depth=18))``.
        teacher (dict): Config of the teacher, likewise.
        teacher_ckpt (str, optional): Path or URL of the teacher weights.
            Missing files and mismatched keys fail here, at build time.
            ``None`` only makes sense for tests and smoke runs.
        distill_losses (dict): ``name -> loss config``; each loss appears in
            the log as ``loss_distill_<name>``. Several may be combined.
        distill_warmup (dict, optional): ``dict(length=20, by_epoch=True)``
            ramps every distillation loss linearly (:class:`DistillWarmup`).
        data_preprocessor (dict, optional): Used by a student / teacher
            whose config has none (the top-level ``data_preprocessor`` of a
            config lands here).
        init_cfg (dict, optional): Initialisation config of the distiller.
    """

    #: scope of unprefixed student / teacher types
    host_scope: Optional[str] = None
    #: preprocessor type when the distiller's has none
    default_preprocessor: Optional[str] = None

    def __init__(self,
                 student: dict,
                 teacher: dict,
                 teacher_ckpt: Optional[str] = None,
                 distill_losses: Optional[Dict[str, dict]] = None,
                 distill_warmup: Optional[dict] = None,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if not distill_losses:
            raise ValueError('distill_losses must name at least one loss, '
                             'e.g. dict(kd=dict(type="KDLoss"))')
        if isinstance(data_preprocessor, dict) and self.default_preprocessor:
            data_preprocessor = dict(data_preprocessor)
            data_preprocessor.setdefault('type', self.default_preprocessor)
        student = build_host_model(student, 'student', self.host_scope,
                                   data_preprocessor)
        teacher = build_host_model(teacher, 'teacher', self.host_scope,
                                   data_preprocessor)
        super().__init__(
            data_preprocessor=DistillDataPreprocessor(
                student.data_preprocessor, teacher.data_preprocessor),
            init_cfg=init_cfg)
        self.student = student
        self.teacher = teacher
        self.teacher_ckpt = teacher_ckpt
        if teacher_ckpt is not None:
            load_teacher_checkpoint(self.teacher, teacher_ckpt)
        freeze(self.teacher)
        self.distill_losses = nn.ModuleDict(
            {name: MODELS.build(cfg)
             for name, cfg in distill_losses.items()})
        self.distill_warmup = (
            DistillWarmup(**distill_warmup) if distill_warmup else None)

    @property
    def uses_views(self) -> bool:
        """Whether some loss needs view logits (scale-decoupled losses), so
        the adapter must make them."""
        return any(
            isinstance(loss, ScaleDecoupledLoss)
            for loss in self.distill_losses.values())

    def train(self, mode: bool = True) -> 'BaseLogitDistiller':
        """Switch the student only; the teacher stays in eval mode."""
        super().train(mode)
        self.teacher.eval()
        return self

    def init_weights(self) -> None:
        """Initialise the student (and the distiller's own parts), never the
        teacher, whose weights came from ``teacher_ckpt``."""
        self.teacher._is_init = True
        super().init_weights()

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[list] = None,
                mode: str = 'tensor',
                teacher_inputs: Optional[torch.Tensor] = None):
        if mode == 'loss':
            return self.loss(inputs, data_samples, teacher_inputs)
        if mode in ('predict', 'tensor'):
            return self.student(inputs, data_samples, mode=mode)
        raise RuntimeError(f'Invalid mode "{mode}": expected "loss", '
                           '"predict" or "tensor".')

    def loss(self,
             inputs: torch.Tensor,
             data_samples: List,
             teacher_inputs: Optional[torch.Tensor] = None) -> dict:
        """Student task losses plus ``loss_distill_<name>`` terms.

        Args:
            inputs (Tensor): The student's preprocessed batch.
            data_samples (list): The host library's data samples.
            teacher_inputs (Tensor, optional): The teacher's own
                preprocessing of the batch, where it differs.
        """
        losses, paired = self.paired_logits(
            inputs, data_samples,
            inputs if teacher_inputs is None else teacher_inputs)
        losses.update(self.distill_loss_terms(paired))
        return losses

    @abstractmethod
    def paired_logits(self, inputs: torch.Tensor, data_samples: List,
                      teacher_inputs: torch.Tensor
                      ) -> Tuple[Dict[str, torch.Tensor], PairedLogits]:
        """The student's task losses and the paired logits of one batch.

        Views (``student_views`` / ``teacher_views``) are only needed when
        :attr:`uses_views`.
        """

    def distill_loss_terms(self,
                           paired: PairedLogits) -> Dict[str, torch.Tensor]:
        """Apply every distillation loss to its paired tensors.

        Returns:
            dict: ``loss_distill_<name>`` -> scalar, warm-up applied.
        """
        factor = self.distill_warmup.factor() if self.distill_warmup else 1.
        losses = {}
        for name, loss_fn in self.distill_losses.items():
            if isinstance(loss_fn, ScaleDecoupledLoss):
                if paired.student_views is None:
                    raise RuntimeError(
                        f'{type(self).__name__} made no view logits for the '
                        f'scale-decoupled loss "{name}"')
                student, teacher = paired.student_views, paired.teacher_views
            else:
                student, teacher = paired.student, paired.teacher
            value = loss_fn(student, teacher, paired.target,
                            weight=paired.weight,
                            avg_factor=paired.avg_factor)
            losses[f'loss_distill_{name}'] = value * factor
        return losses
