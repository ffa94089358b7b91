# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The two bases of the registered logit losses and the decorators that give
their ``forward`` the shared call contract.

A registered loss is a thin module, as mmdet's losses are: its ``forward``
holds only the method's maths, one call into
:mod:`~mmlogitkd.losses.functional`, and is decorated with
:func:`rowwise_loss` or :func:`batch_loss` (the counterparts of mmdet's
``weighted_loss``), which do the work every loss shares around that call::

    @MODELS.register_module()
    class KDLoss(RowwiseLogitLoss):

        @rowwise_loss
        def forward(self, student, teacher, target):
            return kd_loss(student, teacher, self.temperature)

The decorated ``forward`` is called as
``loss(student [N, C], teacher [N, C], target [N] | None, weight=None,
avg_factor=None, reduction_override=None)``; the maths receives checked
logits in full precision and returns ``[N]`` (row-wise) or a scalar
(batch-level).
"""
import contextlib
from typing import Callable, Dict, Optional, Tuple

import torch
import torch.nn as nn
from torch import Tensor

from .functional import standardize_logits
from .utils import (
    check_logit_pair,
    check_reduction,
    check_target,
    weight_reduce_loss,
)

__all__ = [
    'BaseLogitLoss', 'RowwiseLogitLoss', 'BatchLogitLoss', 'TermsBatchLoss',
    'rowwise_loss', 'batch_loss'
]

_LOW_PRECISION = (torch.float16, torch.bfloat16)


def _autocast_off(device_type: str):
    """A context that switches autocast off on ``device_type`` where it is
    on: the maths runs in the precision it was given."""
    # is_autocast_enabled raises for a device without autocast ('meta',
    # which the no-host-sync tests run on)
    if torch.amp.is_autocast_available(device_type) and \
            torch.is_autocast_enabled(device_type):
        return torch.autocast(device_type, enabled=False)
    return contextlib.nullcontext()


def _call_maths(loss: 'BaseLogitLoss', maths: Callable, student_logits: Tensor,
                teacher_logits: Tensor, target: Optional[Tensor],
                standardize: bool) -> Tensor:
    """``maths(loss, student, teacher, target)`` on prepared logits: the
    common dtype of both, float32 for fp16 / bf16; the teacher detached;
    autocast off; both standardized if ``standardize``."""
    dtype = torch.promote_types(student_logits.dtype, teacher_logits.dtype)
    if dtype in _LOW_PRECISION:
        dtype = torch.float32
    student = student_logits.to(dtype)
    teacher = teacher_logits.detach().to(dtype)
    with _autocast_off(student.device.type):
        if standardize:
            student = standardize_logits(student)
            teacher = standardize_logits(teacher)
        return maths(loss, student, teacher, target)


def _as_forward(wrapper: Callable, maths: Callable, contract: str):
    """Give the decorated ``forward`` the maths's name and docstring, and
    keep the maths (``forward.maths``) for :meth:`RowwiseLogitLoss.
    forward_rows`."""
    wrapper.__name__ = 'forward'
    wrapper.__qualname__ = maths.__qualname__
    wrapper.__module__ = maths.__module__
    wrapper.__doc__ = maths.__doc__
    wrapper.maths = maths
    wrapper.contract = contract
    return wrapper


class BaseLogitLoss(nn.Module):
    """Root of the registered logit losses: what a loss declares about its
    inputs and the arguments every one takes. Derive from
    :class:`RowwiseLogitLoss` or :class:`BatchLogitLoss`, not from this.

    A loss says what it needs, so that no caller asks for its class:

    - :attr:`requires_target`: whether ``target`` is mandatory;
    - :attr:`uses_views`: whether it takes view logits ``[N, C, K]``
      (scale-decoupled) rather than plain ``[N, C]`` logits;
    - :meth:`check_num_classes`: whether it can run on C classes.

    Args:
        loss_weight (float): Multiplies the reduced loss. Defaults to 1.0.
        reduction (str): ``'mean'`` (default), ``'sum'`` or ``'none'``.
        standardize (bool): Logit standardization
            (:func:`~mmlogitkd.losses.functional.standardize_logits`) of both
            inputs before the temperature, for the temperature-based losses.
            Defaults to False.
    """

    #: whether ``target`` is mandatory
    requires_target = False
    #: whether the loss takes view logits ``[N, C, K]`` (scale-decoupled)
    #: rather than plain ``[N, C]`` logits
    uses_views = False
    #: fewest classes (logit columns) the method is defined for
    min_classes = 1
    #: the decorator of a subclass's ``forward``: set by each base
    _contract: Optional[str] = None

    def __init__(self,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean',
                 standardize: bool = False) -> None:
        super().__init__()
        self.loss_weight = float(loss_weight)
        self.reduction = check_reduction(reduction)
        self.standardize = bool(standardize)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        forward = cls.__dict__.get('forward')
        if forward is not None and \
                getattr(forward, 'contract', None) != cls._contract:
            raise TypeError(
                f'{cls.__name__}.forward must be the maths decorated with '
                '@rowwise_loss (in a RowwiseLogitLoss) or @batch_loss (in a '
                'BatchLogitLoss), which give it the shared call contract')

    def check_num_classes(self, num_classes: int) -> None:
        """Raise a ``ValueError`` when the loss cannot run on logits of
        ``num_classes`` columns (e.g. LDRLD's top-``k`` above it). Called by
        the distillers once the models are built, before any step, and by
        the loss itself on every call."""
        name = type(self).__name__
        if self.standardize and num_classes < 2:
            raise ValueError(
                f'{name}(standardize=True) needs at least 2 classes (the '
                f'unbiased std of one value is undefined), got {num_classes}')
        if num_classes < self.min_classes:
            raise ValueError(f'{name} needs C >= {self.min_classes} classes, '
                             f'got {num_classes}')

    def _check_inputs(self, student_logits: Tensor, teacher_logits: Tensor,
                      target: Optional[Tensor]) -> Optional[Tensor]:
        """Per-call checks: a floating ``[N, C]`` pair, ``target`` (``[N]``
        indices in ``[0, C)``, mandatory if :attr:`requires_target`), and C.
        Returns the target as int64 (or None)."""
        check_logit_pair(student_logits, teacher_logits)
        N, C = student_logits.shape
        target = check_target(target, N, C, self.requires_target,
                              type(self).__name__)
        self.check_num_classes(C)
        return target

    def extra_repr(self) -> str:
        return (f'loss_weight={self.loss_weight}, '
                f'reduction={self.reduction!r}, '
                f'standardize={self.standardize}')


class RowwiseLogitLoss(BaseLogitLoss):
    """Base of the losses with a value per row (KD, DKD, NKD, LDRLD, rank
    alignment, CTKD): the batch reduction happens after the maths.

    Call: ``loss(student [N, C], teacher [N, C], target [N] | None,
    weight=None, avg_factor=None, reduction_override=None)`` returns a
    scalar (``reduction='mean'`` or ``'sum'``) or per-row losses ``[N]``
    (``'none'``). The subclass writes the maths as its ``forward``,
    decorated with :func:`rowwise_loss`, which owns everything else:

    - shape checks (``ValueError`` naming the shapes), target checks and
      :meth:`check_num_classes`;
    - fp16 / bf16 inputs are computed in float32 (autocast is switched off
      inside), so the loss is finite and float32;
    - the teacher is detached: it never receives gradient;
    - logit standardization (``standardize=True``, seed 002) of both inputs
      before the maths;
    - optional per-row ``weight [N]`` and ``avg_factor`` (mmdet style), then
      ``loss_weight``.

    Args: see :class:`BaseLogitLoss`.
    """

    _contract = 'rowwise'

    def forward_rows(self, student_logits: Tensor, teacher_logits: Tensor,
                     target: Optional[Tensor]) -> Tensor:
        """Per-row ``[N]`` loss of already checked inputs, before
        ``weight``, reduction and ``loss_weight``: the maths of
        :meth:`forward` on prepared logits (float32 for fp16 / bf16,
        detached teacher, autocast off, optional standardization). For
        wrappers such as :class:`ScaleDecoupledLoss` that check their
        inputs themselves."""
        return _call_maths(self,
                           type(self).forward.maths, student_logits,
                           teacher_logits, target, self.standardize)


def rowwise_loss(maths: Callable) -> Callable:
    """Make the maths of a :class:`RowwiseLogitLoss` its ``forward``
    (mmdet's ``weighted_loss`` for a pair of logits).

    ``maths(self, student [N, C], teacher [N, C], target [N] | None) ->
    [N]`` receives checked logits in full precision (teacher detached,
    standardized if ``self.standardize``). The decorated ``forward`` is::

        forward(student_logits [N, C], teacher_logits [N, C],
                target [N] | None = None, weight [N] | None = None,
                avg_factor: float | None = None,
                reduction_override: str | None = None)
            -> scalar, or [N] for reduction 'none'
    """

    def forward(self,
                student_logits: Tensor,
                teacher_logits: Tensor,
                target: Optional[Tensor] = None,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        reduction = check_reduction(reduction_override or self.reduction)
        target = self._check_inputs(student_logits, teacher_logits, target)
        rows = _call_maths(self, maths, student_logits, teacher_logits,
                           target, self.standardize)
        loss = weight_reduce_loss(rows, weight, reduction, avg_factor)
        return loss if self.loss_weight == 1 else loss * self.loss_weight

    return _as_forward(forward, maths, 'rowwise')


class BatchLogitLoss(BaseLogitLoss):
    """Base of the losses whose statistics span rows (MLKD; DIST and SKD
    to come): one scalar per batch, no per-row value.

    Call: ``loss(student [N, C], teacher [N, C], target [N] | None) ->
    scalar``. ``weight`` and ``avg_factor`` are refused and the only
    reduction is ``'mean'`` (checked when built), since there are no rows to
    weigh. The subclass writes the maths as its ``forward``, decorated with
    :func:`batch_loss`, which owns the shape, target and class-count checks,
    the float32 computation of fp16 / bf16 inputs with autocast off, the
    detached teacher, the empty batch (a zero attached to the graph) and
    ``loss_weight``. ``standardize`` is left to the maths, which applies it
    where its method does.

    Args: see :class:`BaseLogitLoss`; ``reduction`` must be ``'mean'``.
    """

    _contract = 'batch'

    def __init__(self,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean',
                 standardize: bool = False) -> None:
        super().__init__(loss_weight, reduction, standardize)
        if self.reduction != 'mean':
            raise ValueError(
                f'{type(self).__name__} is a batch-level loss (statistics '
                "across rows): only reduction='mean' is defined, got "
                f'{self.reduction!r}')


def batch_loss(maths: Callable) -> Callable:
    """Make the maths of a :class:`BatchLogitLoss` its ``forward``.

    ``maths(self, student [N, C], teacher [N, C], target [N] | None) ->
    scalar`` receives checked logits of a non-empty batch in full precision
    (teacher detached, not standardized). The decorated ``forward`` is::

        forward(student_logits [N, C], teacher_logits [N, C],
                target [N] | None = None, weight=None, avg_factor=None,
                reduction_override=None) -> scalar
    """

    def forward(self,
                student_logits: Tensor,
                teacher_logits: Tensor,
                target: Optional[Tensor] = None,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        if weight is not None or avg_factor is not None or check_reduction(
                reduction_override or 'mean') != 'mean':
            raise ValueError(
                f'{type(self).__name__} is a batch-level loss: no per-row '
                "weight, avg_factor or reduction other than 'mean'")
        target = self._check_inputs(student_logits, teacher_logits, target)
        if student_logits.shape[0] == 0:
            return student_logits.sum() * 0.0
        loss = _call_maths(self, maths, student_logits, teacher_logits,
                           target, standardize=False)
        return loss if self.loss_weight == 1 else loss * self.loss_weight

    return _as_forward(forward, maths, 'batch')


class TermsBatchLoss(BatchLogitLoss):
    """A batch-level loss that is a weighted sum of named terms (MLKD's
    three levels, DIST's two relations, SKD's two terms) and reports each
    term to the log.

    The maths computes the terms ``[K]`` in the order of :attr:`term_names`
    and passes them through :meth:`keep_terms`; :meth:`extra_log_vars` gives
    the distiller those of the last call.

    Args: see :class:`BatchLogitLoss`.
    """

    #: the names of the terms, in the order the maths computes them
    term_names: Tuple[str, ...] = ()
    _last_terms: Optional[Tensor] = None

    def keep_terms(self, terms: Tensor) -> Tensor:
        """Keep ``terms [K]`` (detached) for :meth:`extra_log_vars`;
        returns them unchanged."""
        self._last_terms = terms.detach()
        return terms

    def check_rows(self, logits: Tensor, why: str) -> None:
        """Raise a ``ValueError`` when ``logits [N, C]`` have N < 2 rows,
        which the method's statistics over the batch need (``why`` says
        which). Called by the maths, after the empty batch has been
        answered."""
        if logits.shape[0] < 2:
            raise ValueError(
                f'{type(self).__name__} needs N >= 2 rows ({why}), got '
                f'logits of shape {tuple(logits.shape)}')

    def extra_log_vars(self) -> Dict[str, Tensor]:
        """The terms of the last call by :attr:`term_names` (detached,
        before the term weights and ``loss_weight``); empty before the
        first call."""
        if self._last_terms is None:
            return {}
        return dict(zip(self.term_names, self._last_terms))
