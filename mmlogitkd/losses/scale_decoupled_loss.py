# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Scale-decoupled distillation (Wei et al., "Scale Decoupled
Distillation", CVPR 2024; seed 004)."""
from typing import Callable, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmlogitkd.registry import MODELS
from .base import BaseLogitLoss
from .utils import (check_logit_pair, check_reduction, check_target,
                    weight_reduce_loss)

__all__ = ['ScaleDecoupledLoss', 'scale_decoupled_logits']


def _check_scales(scales: Sequence[int]) -> tuple:
    scales = tuple(scales)
    if not scales or any(int(m) != m or m < 1 for m in scales):
        raise ValueError(f'scales must be positive integers, got {scales}')
    return tuple(int(m) for m in scales)


def scale_decoupled_logits(feature_map: Tensor,
                           classifier: Callable[[Tensor], Tensor],
                           scales: Sequence[int] = (1, 2, 4)) -> Tensor:
    """Cell logits of SDD: pool the last feature map at several scales and
    classify every cell with the model's own classifier.

    Each scale ``m`` average-pools the map into ``m x m`` cells with
    ``F.adaptive_avg_pool2d``; cells are ordered scale by scale, each scale
    row-major (``1x1, 2x2, 4x4`` -> K = 1 + 4 + 16 = 21). The 1x1 cell is
    the global average pool, so cell 0 is the model's ordinary logits (for a
    GAP + linear head). Sides not divisible by ``m`` (7x7 on ImageNet) get
    PyTorch's adaptive bins ``[floor(i h / m), ceil((i + 1) h / m))``, which
    overlap by one row/column (7 -> 2 cells: rows 0-3 and 3-6; 7 -> 4 cells:
    0-1, 1-3, 3-5, 5-6); the official code pools 4x4 first and averages it
    into 2x2 and 1x1, which is the same only for sides divisible by 4.

    Args:
        feature_map (Tensor): ``[N, c, h, w]``.
        classifier (callable): Maps ``[..., c]`` to ``[..., C]``, e.g. the
            head's ``nn.Linear``; applied once to all ``N x K`` cells.
        scales (Sequence[int]): Grid sizes. Defaults to ``(1, 2, 4)``.

    Returns:
        Tensor: ``[N, C, K]`` cell logits, ``K = sum(m * m)``.
    """
    scales = _check_scales(scales)
    if not torch.is_tensor(feature_map) or feature_map.dim() != 4:
        shape = tuple(feature_map.shape) if torch.is_tensor(
            feature_map) else feature_map
        raise ValueError('feature_map must be [N, c, h, w], got '
                         f'{shape}')
    cells = torch.cat(
        [F.adaptive_avg_pool2d(feature_map, m).flatten(2) for m in scales],
        dim=2)  # [N, c, K]
    return classifier(cells.transpose(1, 2)).transpose(1, 2)


@MODELS.register_module()
class ScaleDecoupledLoss(nn.Module):
    """Scale-decoupled distillation around any logit loss (SD-KD, SD-DKD,
    SD-NKD, ...), Wei et al., CVPR 2024.

    Call: ``loss(student_cells [N, C, K], teacher_cells [N, C, K],
    target [N])`` with cell 0 the global logits and ``K = sum(m * m for m in
    scales)`` (see :func:`scale_decoupled_logits`). The wrapped loss is
    evaluated once on all ``N x K`` cell rows with ``reduction='none'`` (the
    target repeated per cell). Cell weights: global cell 1; a local cell is
    *consistent* when ``(argmax teacher_global == y) == (argmax teacher_cell
    == y)`` and gets 1, otherwise *complementary* and gets
    ``complementary_weight``. Per image ``sum_k w_k l_k / K``, batch mean, so
    ``'mean'`` is ``sum_{n,k} w l / (N K)`` as in the official code.

    Args:
        loss (dict | BaseLogitLoss): The per-cell loss, e.g.
            ``dict(type='KDLoss', temperature=4.0)``; its own ``loss_weight``
            multiplies too.
        complementary_weight (float): Weight of complementary cells (the
            paper's beta). Defaults to 2.0.
        scales (Sequence[int]): Grids the cells come from; read by the
            distillers to make the cells. Defaults to ``(1, 2, 4)``.
        loss_weight (float): Multiplies the reduced loss. Defaults to 1.0.
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'`` (``[N]``).
    """

    def __init__(self,
                 loss: Union[dict, BaseLogitLoss] = dict(type='KDLoss'),
                 complementary_weight: float = 2.0,
                 scales: Sequence[int] = (1, 2, 4),
                 loss_weight: float = 1.0,
                 reduction: str = 'mean') -> None:
        super().__init__()
        self.loss = MODELS.build(loss) if isinstance(loss, dict) else loss
        if not isinstance(self.loss, BaseLogitLoss):
            raise TypeError('ScaleDecoupledLoss wraps a logit loss with a '
                            "per-row reduction='none' (KDLoss, DKDLoss, ...),"
                            f' got {type(self.loss).__name__}')
        self.complementary_weight = float(complementary_weight)
        self.scales = _check_scales(scales)
        self.num_cells = sum(m * m for m in self.scales)
        self.loss_weight = float(loss_weight)
        self.reduction = check_reduction(reduction)

    def forward(self,
                student_cells: Tensor,
                teacher_cells: Tensor,
                target: Optional[Tensor] = None,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """Compute the loss.

        Args:
            student_cells (Tensor): ``[N, C, K]`` student cell logits.
            teacher_cells (Tensor): ``[N, C, K]`` teacher cell logits; get no
                gradient.
            target (Tensor): ``[N]`` class indices (required).
            weight (Tensor, optional): ``[N]`` per-image weights.
            avg_factor (float, optional): Divisor of the sum for ``'mean'``.
            reduction_override (str, optional): Overrides ``reduction``.

        Returns:
            Tensor: scalar, or ``[N]`` for ``'none'``.
        """
        reduction = check_reduction(reduction_override or self.reduction)
        check_logit_pair(student_cells, teacher_cells, ndim=3,
                         layout='[N, C, K]')
        N, C, K = student_cells.shape
        if K != self.num_cells:
            raise ValueError(
                f'cell logits of shape {tuple(student_cells.shape)} have '
                f'K={K} cells, but scales {self.scales} make '
                f'{self.num_cells} (sum of m*m)')
        target = check_target(target, N, C, True, type(self).__name__)

        teacher_cells = teacher_cells.detach()
        # [N, C, K] -> [N * K, C], row n * K + k: one call for all cells
        student = student_cells.transpose(1, 2).reshape(N * K, C)
        teacher = teacher_cells.transpose(1, 2).reshape(N * K, C)
        # inputs validated above: skip the wrapped loss's own checks
        per_cell = self.loss.forward_rows(
            student, teacher, target.repeat_interleave(K)).view(N, K)

        correct = teacher_cells.argmax(1) == target[:, None]  # [N, K]
        consistent = correct == correct[:, :1]
        # the wrapped loss's loss_weight and the 1/K of the mean over cells
        scale = self.loss.loss_weight / K
        cell_weight = torch.full_like(
            per_cell, scale * self.complementary_weight).masked_fill_(
                consistent, scale)
        per_image = (per_cell * cell_weight).sum(1)
        loss = weight_reduce_loss(per_image, weight, reduction, avg_factor)
        return loss if self.loss_weight == 1 else loss * self.loss_weight

    def extra_repr(self) -> str:
        return (f'complementary_weight={self.complementary_weight}, '
                f'scales={self.scales}, loss_weight={self.loss_weight}, '
                f'reduction={self.reduction!r}')
