# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The call contract shared by every logit distillation loss."""
from typing import Optional

import torch
import torch.nn as nn
from torch import Tensor

from .functional import standardize_logits
from .utils import (check_logit_pair, check_reduction, check_target,
                    weight_reduce_loss)

_LOW_PRECISION = (torch.float16, torch.bfloat16)


class BaseLogitLoss(nn.Module):
    """Base of the registered logit losses.

    ``loss(student_logits [N, C], teacher_logits [N, C], target [N] = None)``
    returns a scalar (``reduction='mean'`` or ``'sum'``) or per-row losses
    ``[N]`` (``'none'``). The base class owns everything that is not the
    method itself:

    - shape checks (``ValueError`` naming the shapes) and target checks;
    - fp16 / bf16 inputs are computed in float32 (autocast is switched off
      inside), so the loss is finite and float32;
    - the teacher is detached: it never receives gradient;
    - logit standardization (``standardize=True``, seed 002) of both inputs
      before the temperature, for the temperature-based losses;
    - optional per-row ``weight [N]`` and ``avg_factor`` (mmdet style), then
      ``loss_weight``.

    Subclasses implement :meth:`loss_per_row`.

    Args:
        loss_weight (float): Multiplies the reduced loss. Defaults to 1.0.
        reduction (str): ``'mean'`` (default), ``'sum'`` or ``'none'``.
        standardize (bool): Apply :func:`standardize_logits` first.
    """

    #: whether ``target`` is mandatory
    requires_target = False
    #: whether the loss takes view logits ``[N, C, K]`` (scale-decoupled)
    #: rather than plain ``[N, C]`` logits
    uses_views = False

    def check_num_classes(self, num_classes: int) -> None:
        """Raise a ``ValueError`` when the loss cannot run on logits of
        ``num_classes`` columns (e.g. LDRLD's top-``k`` above it). Called by
        the distillers once the models are built, before any step."""

    def __init__(self,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean',
                 standardize: bool = False) -> None:
        super().__init__()
        self.loss_weight = float(loss_weight)
        self.reduction = check_reduction(reduction)
        self.standardize = bool(standardize)

    def loss_per_row(self, student: Tensor, teacher: Tensor,
                     target: Optional[Tensor]) -> Tensor:
        """``[N]`` loss from prepared ``[N, C]`` logits."""
        raise NotImplementedError

    def forward(self,
                student_logits: Tensor,
                teacher_logits: Tensor,
                target: Optional[Tensor] = None,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """Compute the loss.

        Args:
            student_logits (Tensor): ``[N, C]``.
            teacher_logits (Tensor): ``[N, C]``; gets no gradient.
            target (Tensor, optional): ``[N]`` class indices in ``[0, C)``;
                required by DKD and NKD.
            weight (Tensor, optional): ``[N]`` per-row weights.
            avg_factor (float, optional): Divisor of the sum for ``'mean'``.
            reduction_override (str, optional): Overrides ``reduction``.

        Returns:
            Tensor: scalar, or ``[N]`` for ``'none'``.
        """
        reduction = check_reduction(reduction_override or self.reduction)
        check_logit_pair(student_logits, teacher_logits)
        N, C = student_logits.shape
        target = check_target(target, N, C, self.requires_target,
                              type(self).__name__)
        loss = weight_reduce_loss(
            self.forward_rows(student_logits, teacher_logits, target),
            weight, reduction, avg_factor)
        return loss if self.loss_weight == 1 else loss * self.loss_weight

    def forward_rows(self, student_logits: Tensor, teacher_logits: Tensor,
                     target: Optional[Tensor]) -> Tensor:
        """Per-row ``[N]`` loss of already validated inputs, before
        ``weight`` and ``loss_weight``: float32 for fp16 / bf16 inputs,
        detached teacher, optional standardization. For wrappers such as
        :class:`ScaleDecoupledLoss` that validate once themselves."""
        dtype = torch.promote_types(student_logits.dtype,
                                    teacher_logits.dtype)
        if dtype in _LOW_PRECISION:
            dtype = torch.float32
        student = student_logits.to(dtype)
        teacher = teacher_logits.detach().to(dtype)
        device_type = student.device.type
        # is_autocast_enabled raises for a device without autocast ('meta',
        # which the no-host-sync tests run on)
        if torch.amp.is_autocast_available(device_type) and \
                torch.is_autocast_enabled(device_type):
            with torch.autocast(device_type, enabled=False):
                return self._loss(student, teacher, target)
        return self._loss(student, teacher, target)

    def _loss(self, student: Tensor, teacher: Tensor,
              target: Optional[Tensor]) -> Tensor:
        if self.standardize:
            student = standardize_logits(student)
            teacher = standardize_logits(teacher)
        return self.loss_per_row(student, teacher, target)

    def extra_repr(self) -> str:
        return (f'loss_weight={self.loss_weight}, '
                f'reduction={self.reduction!r}, '
                f'standardize={self.standardize}')
