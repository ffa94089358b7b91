# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Scale-decoupled distillation (Wei et al., "Scale Decoupled
Distillation", CVPR 2024; seed 004)."""
from typing import Optional, Union

import torch
import torch.nn as nn
from torch import Tensor

from mmlogitkd.registry import MODELS
from .base import RowwiseLogitLoss
from .utils import (
    check_logit_pair,
    check_reduction,
    check_target,
    weight_reduce_loss,
)

__all__ = ['ScaleDecoupledLoss']


@MODELS.register_module()
class ScaleDecoupledLoss(nn.Module):
    """Scale-decoupled distillation around any row-wise logit loss (SD-KD,
    SD-DKD, SD-NKD, SD-LDRLD, GL-DKD, ...), Wei et al., CVPR 2024.

    Call: ``loss(student_views [N, C, K], teacher_views [N, C, K],
    target [N]) -> scalar`` (``[N]`` for ``reduction='none'``) with view 0
    the global logits and any number K of views. How the views are made is
    the task adapter's business (multi-scale grid cells of the last feature
    map in classification and re-id, the five polyphase RoI views in
    detection); this loss only sees logits.

    With ``l_nk`` the wrapped loss's per-row value on view k of row n
    (:meth:`RowwiseLogitLoss.forward_rows`, evaluated once on all ``N x K``
    view rows with the target repeated per view) and ``lw`` its
    ``loss_weight``, per row ``l_n = lw * sum_k w_nk l_nk / K``, then
    ``weight`` / ``avg_factor`` / ``reduction`` over the rows, so
    ``'mean'`` is ``sum_{n,k} w l / (N K)`` as in the official code. View
    weights: the global view 1; a local view is *consistent* when
    ``(argmax teacher_global == y) == (argmax teacher_view == y)`` and gets
    1, otherwise *complementary* and gets ``complementary_weight`` (1.0
    disables the distinction, as the official detection code).

    With ``skip_nonfinite_views=True`` (the official GL-DKD detection code)
    a view whose loss is not finite on some row is left out and the others
    are averaged (``sum over finite views / number of finite views``, 0 if
    none), decided on the device without a host read; the gradient of the
    skipped views is zero.

    Args:
        loss (dict | RowwiseLogitLoss): The per-view loss, e.g.
            ``dict(type='KDLoss', temperature=4.0)``; its own ``loss_weight``
            multiplies too.
        complementary_weight (float): Weight of complementary views (the
            paper's beta). Defaults to 2.0.
        skip_nonfinite_views (bool): Drop views with a non-finite loss.
            Defaults to False.
        loss_weight (float): Multiplies the reduced loss. Defaults to 1.0.
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'`` (``[N]``).
    """

    #: the views ``[N, C, K]`` of both models, and a target (the view
    #: weights compare the teacher's predictions with it), are needed
    uses_views = True
    requires_target = True

    def __init__(self,
                 loss: Union[dict, RowwiseLogitLoss] = dict(type='KDLoss'),
                 complementary_weight: float = 2.0,
                 skip_nonfinite_views: bool = False,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean') -> None:
        super().__init__()
        self.loss = MODELS.build(loss) if isinstance(loss, dict) else loss
        if not isinstance(self.loss, RowwiseLogitLoss):
            raise TypeError('ScaleDecoupledLoss wraps a row-wise logit loss '
                            '(a RowwiseLogitLoss: KDLoss, DKDLoss, ...), got '
                            f'{type(self.loss).__name__}')
        self.complementary_weight = float(complementary_weight)
        self.skip_nonfinite_views = bool(skip_nonfinite_views)
        self.loss_weight = float(loss_weight)
        self.reduction = check_reduction(reduction)

    def forward(self,
                student_views: Tensor,
                teacher_views: Tensor,
                target: Optional[Tensor] = None,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """Compute the loss.

        Args:
            student_views (Tensor): ``[N, C, K]`` student view logits, view 0
                the global one.
            teacher_views (Tensor): ``[N, C, K]`` teacher view logits; get no
                gradient.
            target (Tensor): ``[N]`` class indices (required).
            weight (Tensor, optional): ``[N]`` per-row weights.
            avg_factor (float, optional): Divisor of the sum for ``'mean'``.
            reduction_override (str, optional): Overrides ``reduction``.

        Returns:
            Tensor: scalar, or ``[N]`` for ``'none'``.
        """
        reduction = check_reduction(reduction_override or self.reduction)
        check_logit_pair(student_views, teacher_views, ndim=3,
                         layout='[N, C, K]')
        N, C, K = student_views.shape
        target = check_target(target, N, C, True, type(self).__name__)
        self.loss.check_num_classes(C)

        teacher_views = teacher_views.detach()
        if self.skip_nonfinite_views and student_views.requires_grad:
            # a skipped view's zero weight times its inf/nan partials would
            # still poison the gradient: drop them
            student_views = _zero_nonfinite_grad(student_views)
        # [N, C, K] -> [N * K, C], row n * K + k: one call for all views
        student = student_views.transpose(1, 2).reshape(N * K, C)
        teacher = teacher_views.transpose(1, 2).reshape(N * K, C)
        # inputs checked above: the wrapped loss's maths without its checks
        per_view = self.loss.forward_rows(
            student, teacher, target.repeat_interleave(K)).view(N, K)

        correct = teacher_views.argmax(1) == target[:, None]  # [N, K]
        consistent = correct == correct[:, :1]
        view_weight = torch.full_like(
            per_view, self.complementary_weight).masked_fill_(
                consistent, 1.0)
        if self.skip_nonfinite_views:
            finite = torch.isfinite(per_view).all(0)  # [K]
            per_view = per_view.masked_fill(~finite, 0.0)
            num_views = finite.sum().clamp(min=1).to(per_view.dtype)
        else:
            num_views = K
        # the wrapped loss's loss_weight and the mean over views
        per_row = (per_view * view_weight).sum(1) * (
            self.loss.loss_weight / num_views)
        loss = weight_reduce_loss(per_row, weight, reduction, avg_factor)
        return loss if self.loss_weight == 1 else loss * self.loss_weight

    def check_num_classes(self, num_classes: int) -> None:
        self.loss.check_num_classes(num_classes)

    def extra_repr(self) -> str:
        return (f'complementary_weight={self.complementary_weight}, '
                f'skip_nonfinite_views={self.skip_nonfinite_views}, '
                f'loss_weight={self.loss_weight}, '
                f'reduction={self.reduction!r}')


def _zero_nonfinite_grad(tensor: Tensor) -> Tensor:
    """Identity whose backward replaces inf / nan gradients by zeros."""
    out = tensor.view_as(tensor)
    out.register_hook(lambda grad: torch.nan_to_num(
        grad, nan=0.0, posinf=0.0, neginf=0.0))
    return out
