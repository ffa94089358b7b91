# Copyright (c) mmlogitkd contributors. All rights reserved.
from abc import abstractmethod
from typing import Callable, Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper

from .checkpoint_loading import load_student_checkpoint
from .data_preprocessor import DistillDataPreprocessor
from .host_models import (
    build_distill_losses,
    build_host_model,
    logit_width,
    num_classes_of,
)
from .nonfinite_guard import DEFAULT_MAX_SKIPS, NonFiniteGuard
from .paired_logits import PairedLogits
from .teacher_checksum import (
    check_checkpoint_teacher,
    install_teacher_checksum,
)
from .teacher_source import build_teacher_source
from .two_pass_step import check_wrapper, is_two_pass
from .warmup import DistillWarmup


def _extra_log_vars(name: str,
                    loss_fn: nn.Module) -> Dict[str, torch.Tensor]:
    """What a loss logs beside its value: ``<name>_<key>`` for each
    detached tensor of its optional ``extra_log_vars()`` (e.g. CTKD's
    learned temperature). mmengine logs them every iteration with the
    losses, read back in the same host read; without ``loss`` in their
    name they are not summed into the loss."""
    get = getattr(loss_fn, 'extra_log_vars', None)
    extra = {} if get is None else {
        f'{name}_{key}': value.detach()
        for key, value in get().items()
    }
    bad = [key for key in extra if 'loss' in key]
    if bad:
        raise ValueError(f'model.distill_losses.{name}: logged values {bad} '
                         'have "loss" in their name and would be added to '
                         'the training loss; rename the loss')
    return extra


class BaseLogitDistiller(BaseModel):
    """A frozen teacher, a trained student and logit distillation losses.

    Owns everything that is the same in every task:

    - builds the student in its host library's scope (``cfg_path`` to
      reuse a host's model file, see
      :func:`~mmlogitkd.distillers.host_models.resolve_host_cfg`); it keeps
      its own ``data_preprocessor`` (a model config without one gets the
      distiller's), and :class:`DistillDataPreprocessor` gives the student
      and the teacher each its own normalisation of the same batch;
    - gets the teacher's logits from its
      :class:`~mmlogitkd.distillers.teacher_source.TeacherSource`
      (``self.teacher_source``): the teacher run online (loaded from
      ``teacher_ckpt`` at build time, frozen, eval mode for the whole run,
      left out of the optimizer), or a teacher cache; either way checkpoints
      record the teacher's checksum (:mod:`.teacher_checksum`);
    - routes each distillation loss to the tensors it declares it needs
      (``loss.uses_views``: views ``[N, C, K]``, else plain logits
      ``[N, C]``), applies the warm-up and logs it as
      ``loss_distill_<name>`` beside the student's own losses;
    - steps the optimizer only on finite losses and gradients
      (:class:`~mmlogitkd.distillers.nonfinite_guard.NonFiniteGuard`).

    A task adapter only implements :meth:`paired_logits`: the student's task
    losses and the :class:`PairedLogits` of one batch (``student`` /
    ``teacher`` ``[N, C]``, ``target`` ``[N]``, views ``[N, C, K]``), the
    teacher's side from ``self.teacher_source.logits``. Predict/tensor
    modes are the student's own, so the host library's metrics, test tools
    and exporters work unchanged.

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
        student_ckpt (str, optional): Path or URL of a plain checkpoint of
            the student's host library (mmpretrain / mmdet / torchreid
            layout: ImageNet weights of the same model, a student trained
            alone) or a distillation checkpoint (its ``student.*``
            weights), loaded strictly at build time; missing / unexpected /
            mismatched keys are listed. It wins over the student's own
            ``init_cfg`` (e.g. ``Pretrained``) and ``pretrained``, which are
            then not run; ``load_from`` and ``--resume`` (the whole
            distiller, after build) win over it. Defaults to None.
        save_teacher (bool): Keep the teacher's weights in the distiller's
            ``state_dict`` and so in every checkpoint. By default they are
            left out (they are ``teacher_ckpt``'s, unchanged); the sha256
            of the teacher's weights is recorded either way (state-dict
            metadata ``teacher_sha256``) and checked when a checkpoint is
            loaded back (``--resume``, ``load_from``): a checkpoint trained
            with a different teacher fails with both checksums. Defaults
            to False.
        allow_unsafe_checkpoint (bool): Read ``teacher_ckpt`` and
            ``student_ckpt`` without safe loading's allow-list, for files
            the user trusts (unpickling can run code the file names).
            Defaults to False: such files are refused with the file and the
            offending object named.
        nonfinite_loss (str): What a training step does when a loss it
            logs, or (outside AMP, whose loss scaler skips such steps
            itself) a gradient, is NaN or infinite: ``'raise'`` (default)
            stops the run with a ``FloatingPointError`` naming the
            iteration, the losses and the last checkpoint; ``'skip'`` drops
            the iteration (gradients zeroed, the student's buffers such as
            BN statistics restored, no optimizer step), warns, and logs the
            count as ``skipped_nonfinite``. Either way the weights are never
            updated from non-finite values. See :meth:`train_step`.
        nonfinite_max_skips (dict, optional): With ``'skip'``, the run
            stops as ``'raise'`` does, naming the counts, once
            ``consecutive`` iterations in a row, or more than ``share`` of
            the last ``window`` iterations, were skipped. Defaults to
            ``dict(consecutive=10, share=0.25, window=100)`` (a missing key
            keeps its default); None: no bound.
        teacher_cache (str, optional): Folder of the teacher's logits made
            by ``tools/cache_teacher_logits.py``
            (:class:`~mmlogitkd.distillers.TeacherLogitCache`). The teacher
            is then not built (``self.teacher`` is None, it takes no
            memory): each training sample's logits are read from the cache
            by its (epoch, index), which the seeded data pipeline replays.
            The cache is refused, naming the field and both values, unless
            it was made from ``teacher_ckpt`` (sha256), for the same
            classes and teacher preprocessing (and, checked by
            ``tools/train.py``, the same dataset length, pipeline and
            seed). Only for adapters with ``supports_teacher_cache``
            (classification, re-identification). Defaults to None: the
            teacher runs online.
    """

    #: scope of unprefixed student / teacher types
    host_scope: Optional[str] = None
    #: preprocessor type when the distiller's has none
    default_preprocessor: Optional[str] = None
    #: whether the adapter can read its teacher logits from a teacher cache
    supports_teacher_cache: bool = False

    def __init__(self,
                 student: dict,
                 teacher: dict,
                 teacher_ckpt: Optional[str] = None,
                 distill_losses: Optional[Dict[str, dict]] = None,
                 distill_warmup: Optional[dict] = None,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None,
                 *,
                 student_ckpt: Optional[str] = None,
                 save_teacher: bool = False,
                 allow_unsafe_checkpoint: bool = False,
                 nonfinite_loss: str = 'raise',
                 nonfinite_max_skips: Optional[dict] = DEFAULT_MAX_SKIPS,
                 teacher_cache: Optional[str] = None) -> None:
        if not distill_losses:
            raise ValueError('distill_losses must name at least one loss, '
                             'e.g. dict(kd=dict(type="KDLoss"))')
        if teacher_cache is not None and not self.supports_teacher_cache:
            raise ValueError(
                f'{type(self).__name__} cannot read its teacher from a '
                'teacher_cache: cached teacher logits are for '
                'classification and re-identification (ClsLogitDistiller, '
                'ReIDLogitDistiller), where a sample\'s logits depend on '
                'its image alone. Detection pairs the RoIs the student '
                'samples at each step. Remove model.teacher_cache.')
        if isinstance(data_preprocessor, dict) and self.default_preprocessor:
            data_preprocessor = dict(data_preprocessor)
            data_preprocessor.setdefault('type', self.default_preprocessor)
        student = build_host_model(student, 'student', self.host_scope,
                                   data_preprocessor)
        # source.arch: the teacher, or with a cache its memory-less shell
        source = build_teacher_source(
            teacher, teacher_ckpt, teacher_cache,
            host_scope=self.host_scope,
            data_preprocessor=data_preprocessor,
            allow_unsafe=allow_unsafe_checkpoint)
        # Built before anything is loaded: a misspelt loss type, teacher and
        # student of different classes or a top-k larger than the classes
        # fail now, naming the loss, not at the first iteration.
        distill_losses = build_distill_losses(distill_losses)
        self.check_pair(student, source.arch, distill_losses)
        nonfinite_guard = NonFiniteGuard(nonfinite_loss, nonfinite_max_skips)
        super().__init__(
            data_preprocessor=DistillDataPreprocessor(
                student.data_preprocessor, source.preprocessor),
            init_cfg=init_cfg)
        self.student = student
        self.teacher_source = source
        source.attach(self)  # sets self.teacher
        self.teacher_ckpt = teacher_ckpt
        self.student_ckpt = student_ckpt
        self.save_teacher = save_teacher
        self.allow_unsafe_checkpoint = allow_unsafe_checkpoint
        if student_ckpt is not None:
            load_student_checkpoint(self.student, student_ckpt,
                                    allow_unsafe_checkpoint)
            # Loaded weights are the initialisation: init_weights skips an
            # initialised child, so the student's own init_cfg / pretrained
            # does not overwrite them.
            self.student._is_init = True
        install_teacher_checksum(self)
        self.distill_losses = distill_losses
        self.nonfinite_guard = nonfinite_guard
        self.distill_warmup = (
            DistillWarmup(**distill_warmup) if distill_warmup else None)

    @property
    def uses_views(self) -> bool:
        """Whether some loss takes view logits (``loss.uses_views``: the
        scale-decoupled losses), so the adapter must make them."""
        return any(
            getattr(loss, 'uses_views', False)
            for loss in self.distill_losses.values())

    def teacher_sha256(self) -> str:
        """sha256 of the teacher's weights
        (:func:`~mmlogitkd.utils.checkpoint.state_dict_sha256`); with a
        ``teacher_cache``, that of ``teacher_ckpt``, which the cache was
        checked against."""
        return self.teacher_source.sha256()

    def _load_from_state_dict(self, state_dict, prefix, local_metadata,
                              strict, missing_keys, unexpected_keys,
                              error_msgs) -> None:
        """Check the teacher a checkpoint was trained with before loading
        (:func:`~.teacher_checksum.check_checkpoint_teacher`:
        :class:`~.teacher_checksum.TeacherMismatchError` with both
        checksums)."""
        check_checkpoint_teacher(self, state_dict, prefix, local_metadata)
        super()._load_from_state_dict(state_dict, prefix, local_metadata,
                                      strict, missing_keys, unexpected_keys,
                                      error_msgs)

    @classmethod
    def check_pair(cls, student: nn.Module, teacher: nn.Module,
                   distill_losses: nn.ModuleDict) -> None:
        """Checks of the built models and losses, run before any checkpoint
        is read: the two models predict the same number of classes, and
        each loss runs on logits of the student's width
        (``loss.check_num_classes(C)``, e.g. LDRLD's top-``k``). Adapters
        add their own (call ``super().check_pair``)."""
        s_classes = num_classes_of(student)
        t_classes = num_classes_of(teacher)
        if None not in (s_classes, t_classes) and s_classes != t_classes:
            raise ValueError(
                'The student and the teacher predict different classes: '
                f'student num_classes={s_classes}, teacher num_classes='
                f'{t_classes}. Their logits must describe the same classes '
                '(the same training identities in re-id), in the same '
                "order: give both heads the dataset's number of classes.")
        width = logit_width(student)
        if width is None:
            return
        for name, loss in distill_losses.items():
            check_num_classes = getattr(loss, 'check_num_classes', None)
            if check_num_classes is None:
                continue
            try:
                check_num_classes(width)
            except ValueError as err:
                raise ValueError(
                    f'model.distill_losses.{name}: {err}') from None

    def train_step(
        self,
        data: Union[dict, tuple, list],
        optim_wrapper: OptimWrapper,
        grad_sync: Optional[Callable[[], None]] = None
    ) -> Dict[str, torch.Tensor]:
        """mmengine's training step, which never updates the weights from a
        non-finite loss or gradient (``nonfinite_loss``;
        :meth:`NonFiniteGuard.train_step
        <mmlogitkd.distillers.nonfinite_guard.NonFiniteGuard.train_step>`,
        one host read per step). A skipped step restores the student's
        buffers.

        With DOT (an optimizer with ``step_kd``), two backward passes over
        one forward (:mod:`~mmlogitkd.distillers.two_pass_step`; AMP,
        accumulation and clipping refused before the forward pass).

        Distributed wrappers (``MMDistributedDataParallel``) run their own
        ``train_step``; there, :meth:`parse_losses` checks the losses before
        their backward pass, and a non-finite loss stops the run (a step
        cannot be skipped on one rank alone); DOT's ``step()`` refuses
        their single backward pass. With DOT,
        :class:`~mmlogitkd.distillers.TwoPassDistributedDataParallel` calls
        this step on every rank with ``grad_sync``, which averages each
        gradient set over the ranks after its backward pass.
        """
        if not isinstance(optim_wrapper, OptimWrapper):  # OptimWrapperDict
            return super().train_step(data, optim_wrapper)
        if is_two_pass(optim_wrapper.optimizer):
            check_wrapper(optim_wrapper)  # before the forward pass
        return self.nonfinite_guard.train_step(self, data, optim_wrapper,
                                               self.student, grad_sync)

    def parse_losses(self, losses: Dict[str, torch.Tensor]
                     ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """mmengine's :meth:`parse_losses`; called by a distributed
        wrapper's ``train_step`` (not ours), it also stops the run on a
        non-finite loss, before the wrapper's backward pass and step."""
        return self.nonfinite_guard.parse_losses(super().parse_losses(losses))

    def train(self, mode: bool = True) -> 'BaseLogitDistiller':
        """Switch the student only; the teacher stays in eval mode."""
        super().train(mode)
        self.teacher_source.keep_eval()
        return self

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
            inputs (Tensor): ``[N, ...]`` the student's preprocessed batch.
            data_samples (list): The host library's data samples.
            teacher_inputs (Tensor, optional): ``[N, ...]`` the teacher's
                own preprocessing of the batch, where it differs.
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

        The teacher's side comes from ``self.teacher_source.logits(forward,
        teacher_inputs, data_samples, views)``, ``forward`` being how the
        adapter runs a model (:data:`~.teacher_source.TeacherForward`).
        Views (``student_views`` / ``teacher_views``, ``[N, C, K]``) are
        only needed when :attr:`uses_views`.
        """

    def distill_loss_terms(self,
                           paired: PairedLogits) -> Dict[str, torch.Tensor]:
        """Apply every distillation loss to the paired tensors it takes:
        views ``[N, C, K]`` for a loss that ``uses_views``, else logits
        ``[N, C]``.

        Returns:
            dict: ``loss_distill_<name>`` -> scalar, warm-up applied, and
            what each loss logs beside it.
        """
        factor = self.distill_warmup.factor() if self.distill_warmup else 1.
        losses = {}
        for name, loss_fn in self.distill_losses.items():
            if getattr(loss_fn, 'uses_views', False):
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
            losses.update(_extra_log_vars(name, loss_fn))
        return losses
