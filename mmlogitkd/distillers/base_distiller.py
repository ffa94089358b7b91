# Copyright (c) mmlogitkd contributors. All rights reserved.
import logging
import math
from abc import abstractmethod
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.logging import MessageHub, print_log
from mmengine.model import BaseModel
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from mmlogitkd.losses import ScaleDecoupledLoss
from mmlogitkd.registry import MODELS
from mmlogitkd.utils.checkpoint import state_dict_sha256
from .data_preprocessor import DistillDataPreprocessor
from .paired_logits import PairedLogits
from .teacher_cache import build_teacher_shell, open_teacher_cache
from .utils import (build_host_model, freeze, load_student_checkpoint,
                    load_teacher_checkpoint)


class TeacherMismatchError(ValueError):
    """A checkpoint was trained with another teacher than the one this
    distiller loaded from ``teacher_ckpt``."""


def _drop_teacher_hook(module: 'BaseLogitDistiller', state_dict: dict,
                       prefix: str, local_metadata: dict) -> None:
    """``state_dict`` hook: record the teacher's checksum in the
    distiller's state-dict metadata and, unless ``save_teacher``, leave the
    frozen teacher's weights out (they are ``teacher_ckpt``'s, unchanged)."""
    local_metadata['teacher_sha256'] = module.teacher_sha256()
    local_metadata['teacher_saved'] = bool(module.save_teacher)
    if module.save_teacher:
        return
    head = prefix + 'teacher.'
    for key in [k for k in state_dict if k.startswith(head)]:
        del state_dict[key]
    metadata = getattr(state_dict, '_metadata', None)
    if metadata is not None:
        for key in [
                k for k in metadata
                if k == prefix + 'teacher' or k.startswith(head)
        ]:
            del metadata[key]


def _absent_teacher_hook(module: 'BaseLogitDistiller',
                         incompatible_keys) -> None:
    """``load_state_dict`` post hook: a checkpoint saved without the
    teacher (the default) misses every ``teacher.*`` key by design; the
    teacher keeps the weights of ``teacher_ckpt``, whose checksum
    :meth:`BaseLogitDistiller._load_from_state_dict` has checked."""
    head, module._absent_teacher_prefix = module._absent_teacher_prefix, None
    if head:
        incompatible_keys.missing_keys[:] = [
            k for k in incompatible_keys.missing_keys
            if not k.startswith(head)
        ]
        if module.teacher is None:  # teacher_cache: no teacher to load into
            incompatible_keys.unexpected_keys[:] = [
                k for k in incompatible_keys.unexpected_keys
                if not k.startswith(head)
            ]


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


#: what :meth:`BaseLogitDistiller.train_step` does with a non-finite loss
NONFINITE_MODES = ('raise', 'skip')


def build_distill_losses(cfgs: Dict[str, Union[dict, nn.Module]]
                         ) -> nn.ModuleDict:
    """``name -> loss`` from ``name -> config``; a misspelt type fails
    naming ``model.distill_losses.<name>`` and the closest registered
    types."""
    from mmlogitkd.utils.registry_hints import explain_unknown_type
    losses = {}
    for name, cfg in cfgs.items():
        if isinstance(cfg, nn.Module):
            losses[name] = cfg
            continue
        try:
            losses[name] = MODELS.build(cfg)
        except KeyError as err:
            hint = explain_unknown_type(err, f'model.distill_losses.{name}')
            if hint is None:
                raise
            raise hint from None
    return nn.ModuleDict(losses)


def _box_head(model: nn.Module) -> Optional[nn.Module]:
    return getattr(getattr(model, 'roi_head', None), 'bbox_head', None)


def num_classes_of(model: nn.Module) -> Optional[int]:
    """The classes a student / teacher predicts: ``num_classes`` of an mmdet
    two-stage detector's box head (foreground), of an mmpretrain
    classifier's ``head``, or of a
    :class:`~mmlogitkd.models.TorchreidClassifier` (identities); None for
    another model."""
    for owner in (_box_head(model), getattr(model, 'head', None), model):
        num = getattr(owner, 'num_classes', None)
        if isinstance(num, int):
            return num
    return None


def logit_width(model: nn.Module) -> Optional[int]:
    """``C`` of the ``[N, C]`` logits the losses get from a model: the
    output width of its linear classifier (a detector's ``fc_cls`` counts
    the background), else its :func:`num_classes_of`."""
    box_head = _box_head(model)
    for fc in (getattr(box_head, 'fc_cls', None),
               getattr(getattr(model, 'head', None), 'fc', None),
               getattr(model, 'classifier', None)):
        if isinstance(fc, nn.Linear):
            return fc.out_features
    num = num_classes_of(model)
    return num + 1 if num is not None and box_head is not None else num


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


def _host_tensors(values: Dict[str, float]
                  ) -> 'OrderedDict[str, torch.Tensor]':
    """Logged values already read back, as CPU scalar tensors (what a
    ``train_step`` returns to the logger)."""
    return OrderedDict(
        (key, torch.tensor(float(value))) for key, value in values.items())


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
            (classification). Defaults to None: the teacher runs online.
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
                 teacher_cache: Optional[str] = None) -> None:
        if not distill_losses:
            raise ValueError('distill_losses must name at least one loss, '
                             'e.g. dict(kd=dict(type="KDLoss"))')
        if teacher_cache is not None and not self.supports_teacher_cache:
            raise ValueError(
                f'{type(self).__name__} cannot read its teacher from a '
                'teacher_cache: cached teacher logits are for '
                'classification (ClsLogitDistiller), where a sample\'s '
                'logits depend on its image alone. Detection pairs the '
                "RoIs the student samples at each step; re-id is not "
                'supported yet. Remove model.teacher_cache.')
        if isinstance(data_preprocessor, dict) and self.default_preprocessor:
            data_preprocessor = dict(data_preprocessor)
            data_preprocessor.setdefault('type', self.default_preprocessor)
        student = build_host_model(student, 'student', self.host_scope,
                                   data_preprocessor)
        teacher_cfg = teacher
        # with a cache, the teacher is only a shape (meta device) for checks
        teacher = (build_host_model if teacher_cache is None else
                   build_teacher_shell)(teacher, 'teacher', self.host_scope,
                                        data_preprocessor)
        # Built before anything is loaded: a misspelt loss type, teacher and
        # student of different classes or a top-k larger than the classes
        # fail now, naming the loss, not at the first iteration.
        distill_losses = build_distill_losses(distill_losses)
        self.check_pair(student, teacher, distill_losses)
        if nonfinite_loss not in NONFINITE_MODES:
            raise ValueError(f'nonfinite_loss must be one of '
                             f'{NONFINITE_MODES}, got {nonfinite_loss!r}')
        super().__init__(
            data_preprocessor=DistillDataPreprocessor(
                student.data_preprocessor,
                None if teacher_cache else teacher.data_preprocessor),
            init_cfg=init_cfg)
        self.student = student
        self.teacher = teacher if teacher_cache is None else None
        self.teacher_cache = None if teacher_cache is None else \
            open_teacher_cache(
                teacher_cache, teacher=teacher, teacher_cfg=teacher_cfg,
                host_scope=self.host_scope,
                data_preprocessor=data_preprocessor,
                teacher_ckpt=teacher_ckpt,
                allow_unsafe=allow_unsafe_checkpoint,
                num_classes=logit_width(student))
        self.teacher_ckpt = teacher_ckpt
        self.student_ckpt = student_ckpt
        self.save_teacher = save_teacher
        self.allow_unsafe_checkpoint = allow_unsafe_checkpoint
        if teacher_ckpt is not None and self.teacher is not None:
            load_teacher_checkpoint(self.teacher, teacher_ckpt,
                                    allow_unsafe_checkpoint)
        if student_ckpt is not None:
            load_student_checkpoint(self.student, student_ckpt,
                                    allow_unsafe_checkpoint)
            # Loaded weights are the initialisation: init_weights skips an
            # initialised child, so the student's own init_cfg / pretrained
            # does not overwrite them.
            self.student._is_init = True
        if self.teacher is not None:
            freeze(self.teacher)
        self._teacher_digest: Optional[Tuple[tuple, str]] = None
        self._absent_teacher_prefix: Optional[str] = None
        self._register_state_dict_hook(_drop_teacher_hook)
        self.register_load_state_dict_post_hook(_absent_teacher_hook)
        self.distill_losses = distill_losses
        self.nonfinite_loss = nonfinite_loss
        self._skipped_nonfinite = 0
        self._guarded_step = False
        self._buffer_snapshot: Optional[List[torch.Tensor]] = None
        self.distill_warmup = (
            DistillWarmup(**distill_warmup) if distill_warmup else None)

    @property
    def uses_views(self) -> bool:
        """Whether some loss needs view logits (scale-decoupled losses), so
        the adapter must make them."""
        return any(
            isinstance(loss, ScaleDecoupledLoss)
            for loss in self.distill_losses.values())

    def teacher_sha256(self) -> str:
        """sha256 of the teacher's weights
        (:func:`~mmlogitkd.utils.checkpoint.state_dict_sha256`), cached
        while no teacher tensor changes; with a ``teacher_cache``, that of
        ``teacher_ckpt``, which the cache was checked against."""
        if self.teacher is None:
            return self.teacher_cache.teacher_sha256
        tensors = self.teacher.state_dict()
        try:
            # version counters move on any in-place write (load, copy_)
            key = tuple((k, v.data_ptr(), v._version)
                        for k, v in tensors.items())
        except RuntimeError:  # inference tensors have no version counter
            key = None
        if key is None or self._teacher_digest is None or \
                self._teacher_digest[0] != key:
            self._teacher_digest = (key, state_dict_sha256(tensors))
        return self._teacher_digest[1]

    def _load_from_state_dict(self, state_dict, prefix, local_metadata,
                              strict, missing_keys, unexpected_keys,
                              error_msgs) -> None:
        """Check the teacher a checkpoint was trained with before loading.

        Runs first, on the whole state dict, while the teacher still holds
        ``teacher_ckpt``'s weights. A checkpoint without the teacher (the
        default) must record that teacher's checksum; one with the teacher
        (``save_teacher=True``) must hold these very weights. Otherwise the
        run would go on distilling from another teacher than it was trained
        with: :class:`TeacherMismatchError`, with both checksums.
        """
        head = prefix + 'teacher.'
        saved = {
            k[len(head):]: v
            for k, v in state_dict.items() if k.startswith(head)
        }
        recorded = (local_metadata or {}).get('teacher_sha256')
        source = (f'teacher_ckpt "{self.teacher_ckpt}"'
                  if self.teacher_ckpt else
                  'the teacher built without teacher_ckpt (random weights)')
        if saved:
            same_keys = self.teacher is None or set(saved) == set(
                self.teacher.state_dict())
            # with teacher_ckpt=None, a saved teacher is the only one there
            # is: it is loaded as it is
            if same_keys and self.teacher_ckpt is not None:
                digest, current = state_dict_sha256(
                    saved), self.teacher_sha256()
                if digest != current:
                    raise TeacherMismatchError(
                        'The checkpoint holds a teacher whose weights differ '
                        f'from {source}: checkpoint teacher sha256 {digest}, '
                        f'{source} sha256 {current}. Set model.teacher_ckpt '
                        'to the teacher this checkpoint was trained with, '
                        'or start from its student with '
                        'model.student_ckpt=<checkpoint> instead.')
            # a partial teacher is reported by the usual missing keys
            if self.teacher is None:  # teacher_cache: not loaded
                self._absent_teacher_prefix = head
        else:
            current = self.teacher_sha256()
            if recorded is None:
                print_log(
                    'The checkpoint has neither teacher weights nor a '
                    'teacher checksum (not saved by a distiller of this '
                    f'version?): the teacher stays {source}, unverified.',
                    logger='current',
                    level=logging.WARNING)
            elif recorded != current:
                raise TeacherMismatchError(
                    'The checkpoint was trained with another teacher than '
                    f'{source}: checkpoint teacher sha256 {recorded}, '
                    f'{source} sha256 {current}. Set model.teacher_ckpt to '
                    'the teacher this checkpoint was trained with, or start '
                    'from its student with model.student_ckpt=<checkpoint> '
                    'instead.')
            self._absent_teacher_prefix = head
        super()._load_from_state_dict(state_dict, prefix, local_metadata,
                                      strict, missing_keys, unexpected_keys,
                                      error_msgs)

    @classmethod
    def check_pair(cls, student: nn.Module, teacher: nn.Module,
                   distill_losses: nn.ModuleDict) -> None:
        """Checks of the built models and losses, run before any checkpoint
        is read: the two models predict the same number of classes, and no
        loss's top-``k`` (LDRLD) exceeds the classes of the logits.
        Adapters add their own (call ``super().check_pair``)."""
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
            inner = loss.loss if isinstance(loss, ScaleDecoupledLoss) \
                else loss
            k = getattr(inner, 'k', None)
            if isinstance(k, int) and k > width:
                raise ValueError(
                    f'model.distill_losses.{name}: {type(inner).__name__} '
                    f'k={k} is larger than the {width} classes of the '
                    "student's logits; choose k <= " + str(width) + '.')

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """mmengine's training step (preprocess, forward, parse the losses,
        backward, optimizer step) that never updates the weights from a
        non-finite loss or gradient (see ``nonfinite_loss``).

        Between the backward pass and the optimizer step, one host read
        fetches every logged value and whether every gradient is finite:
        the values mmengine's logger reads one by one after the step
        anyway (they are returned as host tensors, whose reads cost
        nothing), so the check adds no synchronisation; the step only waits
        for the backward pass. Gradient accumulation is kept: a skipped
        iteration drops the gradients accumulated so far in its window.

        Distributed wrappers (``MMDistributedDataParallel``) run their own
        ``train_step``; there, :meth:`parse_losses` checks the losses before
        their backward pass, and a non-finite loss stops the run (a step
        cannot be skipped on one rank alone).
        """
        if not isinstance(optim_wrapper, OptimWrapper):  # OptimWrapperDict
            return super().train_step(data, optim_wrapper)
        skip = self.nonfinite_loss == 'skip'
        if skip:
            self._snapshot_buffers()
        with optim_wrapper.optim_context(self):
            data = self.data_preprocessor(data, True)
            losses = self._run_forward(data, mode='loss')
        self._guarded_step = True
        try:
            parsed_loss, log_vars = self.parse_losses(losses)
        finally:
            self._guarded_step = False
        optim_wrapper.backward(optim_wrapper.scale_loss(parsed_loss))
        update = optim_wrapper.should_update()
        # AMP's loss scaler finds inf gradients and skips the step itself
        check_grads = update and not isinstance(optim_wrapper,
                                                AmpOptimWrapper)
        log_vars, grads_finite = self._read_back(
            log_vars, optim_wrapper if check_grads else None)
        problems = self._nonfinite_losses(log_vars)
        if not grads_finite:
            problems.append('gradients')
        if problems:
            if not skip:
                raise FloatingPointError(self._nonfinite_message(problems))
            optim_wrapper.zero_grad()
            self._restore_buffers()
            self._skipped_nonfinite += 1
            print_log(
                f'Skipped {self._where()}, non-finite: '
                f'{", ".join(problems)} (nonfinite_loss="skip"; '
                f'{self._skipped_nonfinite} iteration(s) skipped so far).',
                logger='current',
                level=logging.WARNING)
            return _host_tensors(
                dict(skipped_nonfinite=self._skipped_nonfinite))
        if update:
            optim_wrapper.step()
            optim_wrapper.zero_grad()
        if skip:
            log_vars['skipped_nonfinite'] = self._skipped_nonfinite
        return _host_tensors(log_vars)

    def parse_losses(self, losses: Dict[str, torch.Tensor]
                     ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """mmengine's :meth:`parse_losses`; called by a distributed
        wrapper's ``train_step`` (not ours), it also stops the run on a
        non-finite loss, before the wrapper's backward pass and step."""
        loss, log_vars = super().parse_losses(losses)
        if self._guarded_step:
            return loss, log_vars
        log_vars, _ = self._read_back(log_vars, None)
        problems = self._nonfinite_losses(log_vars)
        if problems:
            note = (' nonfinite_loss="skip" cannot skip a step under a '
                    'distributed wrapper, whose train_step steps every rank.'
                    if self.nonfinite_loss == 'skip' else '')
            raise FloatingPointError(
                self._nonfinite_message(problems) + note)
        return loss, _host_tensors(log_vars)

    @staticmethod
    def _read_back(log_vars: Dict[str, torch.Tensor],
                   optim_wrapper: Optional[OptimWrapper]
                   ) -> Tuple['OrderedDict[str, float]', bool]:
        """The logged values as floats and whether every gradient of the
        optimizer is finite (True without ``optim_wrapper``), in one host
        read."""
        tensors = [v for v in log_vars.values() if torch.is_tensor(v)]
        device = tensors[0].device if tensors else torch.device('cpu')
        values = [
            v.detach().float().reshape(()) if torch.is_tensor(v) else
            torch.tensor(float(v), device=device) for v in log_vars.values()
        ]
        grads = [] if optim_wrapper is None else [
            p.grad for group in optim_wrapper.optimizer.param_groups
            for p in group['params'] if p.grad is not None
        ]
        if grads:
            try:
                # max |g| per tensor: finite iff the tensor is, no overflow
                peaks = torch._foreach_norm(grads, ord=math.inf)
                finite = torch.stack(
                    [p.float().to(device) for p in peaks]).isfinite().all()
            except (RuntimeError, TypeError, NotImplementedError):
                finite = torch.stack([
                    torch.isfinite(g).all().to(device) for g in grads
                    if not g.is_sparse
                ]).all()
            values.append(finite.float())
        host = torch.stack(values).tolist() if values else []
        grads_finite = bool(host.pop()) if grads else True
        return OrderedDict(zip(log_vars, host)), grads_finite

    @staticmethod
    def _nonfinite_losses(log_vars: Dict[str, float]) -> List[str]:
        """The names of the non-finite losses; the total ``loss`` only when
        no single term is to blame (an overflowing sum)."""
        bad = [
            name for name, value in log_vars.items()
            if 'loss' in name and not math.isfinite(value)
        ]
        terms = [name for name in bad if name != 'loss']
        return terms or bad

    @staticmethod
    def _where() -> str:
        """The iteration (1-based) and epoch of the message hub."""
        hub = MessageHub.get_current_instance()
        it, epoch = hub.get_info('iter'), hub.get_info('epoch')
        if it is None:
            return 'a training step outside a runner'
        where = f'iteration {it + 1}'
        return where if epoch is None else f'{where} (epoch {epoch + 1})'

    def _nonfinite_message(self, problems: List[str]) -> str:
        ckpt = MessageHub.get_current_instance().get_info('last_ckpt')
        return (
            f'Non-finite values at {self._where()}: {", ".join(problems)}. '
            'The weights were not updated with them. Last checkpoint: '
            f'{ckpt or "none yet"}. Lower the learning rate or the loss '
            'weights, check the data and the teacher, or set '
            'model.nonfinite_loss="skip" to skip such iterations.')

    def _snapshot_buffers(self) -> None:
        """Copy the student's buffers (BN statistics), which a forward pass
        on non-finite activations corrupts before any loss is seen."""
        buffers = list(self.student.buffers())
        snapshot = self._buffer_snapshot
        if snapshot is None or len(snapshot) != len(buffers) or any(
                a.shape != b.shape or a.dtype != b.dtype
                or a.device != b.device for a, b in zip(snapshot, buffers)):
            self._buffer_snapshot = [b.detach().clone() for b in buffers]
        elif buffers:
            torch._foreach_copy_(snapshot, [b.detach() for b in buffers])

    @torch.no_grad()
    def _restore_buffers(self) -> None:
        buffers = list(self.student.buffers())
        if self._buffer_snapshot is not None and buffers:
            torch._foreach_copy_(buffers, self._buffer_snapshot)

    def train(self, mode: bool = True) -> 'BaseLogitDistiller':
        """Switch the student only; the teacher stays in eval mode."""
        super().train(mode)
        if self.teacher is not None:
            self.teacher.eval()
        return self

    def init_weights(self) -> None:
        """Initialise the student (and the distiller's own parts), never the
        teacher, whose weights came from ``teacher_ckpt``."""
        if self.teacher is not None:
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
            losses.update(_extra_log_vars(name, loss_fn))
        return losses
