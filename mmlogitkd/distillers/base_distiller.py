# Copyright (c) mmlogitkd contributors. All rights reserved.
from abc import abstractmethod
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from mmengine.model import BaseModel

from mmlogitkd.registry import MODELS
from .utils import build_host_model, freeze, load_teacher_checkpoint


class DistillWarmup:
    """Linear warm-up factor of the distillation losses.

    ``factor = min((step + 1) / length, 1)`` where ``step`` is the 0-based
    epoch (``by_epoch=True``) or iteration read from the runner's message
    hub, as the official DKD code does with its 1-based epoch. Outside a
    runner (no ``epoch``/``iter`` info) the factor is 1.

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

    Owns everything that is the same in every task; a task adapter only says
    how to obtain *paired* student/teacher logits (:meth:`loss`).

    The teacher is loaded from ``teacher_ckpt`` at build time, frozen (no
    gradient, eval mode for the whole run, left out of the optimizer by
    :class:`~mmlogitkd.engine.DistillOptimWrapperConstructor`) and run under
    ``torch.no_grad``. Predict/tensor modes are the student's own, so the
    host library's metrics, test tools and exporters work unchanged.

    Args:
        student (dict): Config of the student, named in its host scope,
            e.g. ``dict(type='mmpretrain.ImageClassifier', ...)``.
        teacher (dict): Config of the teacher, likewise.
        teacher_ckpt (str, optional): Path or URL of the teacher weights.
            Missing files and mismatched keys fail here, at build time.
            ``None`` only makes sense for tests and smoke runs.
        distill_losses (dict): ``name -> loss config``; each loss appears in
            the log as ``loss_distill_<name>``. Several may be combined.
        distill_warmup (dict, optional): ``dict(length=20, by_epoch=True)``
            ramps every distillation loss linearly (:class:`DistillWarmup`).
        data_preprocessor (dict, optional): Shared by student and teacher.
        init_cfg (dict, optional): Initialisation config of the distiller.
    """

    def __init__(self,
                 student: dict,
                 teacher: dict,
                 teacher_ckpt: Optional[str] = None,
                 distill_losses: Optional[Dict[str, dict]] = None,
                 distill_warmup: Optional[dict] = None,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if not distill_losses:
            raise ValueError('distill_losses must name at least one loss, '
                             'e.g. dict(kd=dict(type="KDLoss"))')
        self.student = build_host_model(student, 'student')
        self.teacher = build_host_model(teacher, 'teacher')
        self.teacher_ckpt = teacher_ckpt
        if teacher_ckpt is not None:
            load_teacher_checkpoint(self.teacher, teacher_ckpt)
        freeze(self.teacher)
        self.distill_losses = nn.ModuleDict(
            {name: MODELS.build(cfg)
             for name, cfg in distill_losses.items()})
        self.distill_warmup = (
            DistillWarmup(**distill_warmup) if distill_warmup else None)

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
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode in ('predict', 'tensor'):
            return self.student(inputs, data_samples, mode=mode)
        raise RuntimeError(f'Invalid mode "{mode}": expected "loss", '
                           '"predict" or "tensor".')

    @abstractmethod
    def loss(self, inputs: torch.Tensor, data_samples: List) -> dict:
        """Student task losses plus ``loss_distill_<name>`` terms."""

    def distill_loss_terms(self, student_logits: Dict[str, torch.Tensor],
                           teacher_logits: Dict[str, torch.Tensor],
                           target: Optional[torch.Tensor],
                           **kwargs) -> Dict[str, torch.Tensor]:
        """Apply every distillation loss to its paired logits.

        Args:
            student_logits / teacher_logits (dict): Logits per loss name;
                ``[N, C]``, or ``[N, C, K]`` cell logits for SDD.
            target (Tensor, optional): ``[N]`` ground-truth class indices.
            **kwargs: Passed to every loss (e.g. ``weight``, ``avg_factor``).

        Returns:
            dict: ``loss_distill_<name>`` -> scalar, warm-up applied.
        """
        factor = self.distill_warmup.factor() if self.distill_warmup else 1.
        losses = {}
        for name, loss_fn in self.distill_losses.items():
            value = loss_fn(student_logits[name], teacher_logits[name],
                            target, **kwargs)
            losses[f'loss_distill_{name}'] = value * factor
        return losses
