# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Views for scale-decoupled distillation: how the task adapters turn one
model's features into ``[N, C, K]`` view logits (view 0 the global one) for
:class:`~mmlogitkd.losses.ScaleDecoupledLoss`."""
from contextlib import contextmanager
from typing import Callable, Iterator, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

__all__ = [
    'check_scales', 'grid_cell_logits', 'polyphase_views',
    'frozen_norm_stats'
]


def check_scales(scales: Sequence[int]) -> tuple:
    """``scales`` as a tuple of positive ints, or a ``ValueError``."""
    scales = tuple(scales)
    if not scales or any(int(m) != m or m < 1 for m in scales):
        raise ValueError(f'sdd_scales must be positive integers, got '
                         f'{scales}')
    return tuple(int(m) for m in scales)


def grid_cell_logits(feature_map: Tensor,
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
    scales = check_scales(scales)
    if not torch.is_tensor(feature_map) or feature_map.dim() != 4:
        shape = tuple(feature_map.shape) if torch.is_tensor(
            feature_map) else feature_map
        raise ValueError('feature_map must be [N, c, h, w], got '
                         f'{shape}')
    cells = torch.cat(
        [F.adaptive_avg_pool2d(feature_map, m).flatten(2) for m in scales],
        dim=2)  # [N, c, K]
    return classifier(cells.transpose(1, 2)).transpose(1, 2)


def polyphase_views(roi_feats: Tensor) -> Tensor:
    """The five RoI views of GL-DKD (official SDD detection code).

    From RoI features pooled at twice the box head's resolution
    (``[R, c, 2s, 2s]``, 14x14 for a 7x7 head): the global view is the 2x2
    average pool, the four local views are the polyphase sub-grids
    ``x[..., i::2, j::2]`` in the order (even, even), (even, odd),
    (odd, odd), (odd, even) of (row, column), each ``[R, c, s, s]`` like the
    head's usual input.

    Args:
        roi_feats (Tensor): ``[R, c, 2s, 2s]``.

    Returns:
        Tensor: ``[5, R, c, s, s]``, view 0 the global one.
    """
    if roi_feats.dim() != 4 or roi_feats.shape[-1] % 2 or \
            roi_feats.shape[-2] % 2:
        raise ValueError('polyphase views need RoI features [R, c, 2s, 2s] '
                         f'with even sides, got {tuple(roi_feats.shape)}')
    return torch.stack([
        F.avg_pool2d(roi_feats, 2),
        roi_feats[..., 0::2, 0::2],
        roi_feats[..., 0::2, 1::2],
        roi_feats[..., 1::2, 1::2],
        roi_feats[..., 1::2, 0::2],
    ])


@contextmanager
def frozen_norm_stats(module: nn.Module) -> Iterator[None]:
    """Run extra views through a training model without moving its
    batch-norm running statistics.

    Inside, every ``_BatchNorm`` of ``module`` that tracks running
    statistics still normalises with the statistics of its current batch
    (training mode, gradients unchanged) but neither updates
    ``running_mean`` / ``running_var`` nor counts the batch. The running
    statistics are what the model uses at test time, on its ordinary
    inputs; the distillation views (GL-DKD's 2x2-averaged and polyphase RoI
    views) are auxiliary inputs of another distribution, five for every
    ordinary batch, and would otherwise dominate them. The official GL-DKD
    heads have no batch norm, so for them this changes nothing.
    """
    norms = [
        m for m in module.modules()
        if isinstance(m, _BatchNorm) and m.track_running_stats
    ]
    for m in norms:
        m.track_running_stats = False
    try:
        yield
    finally:
        for m in norms:
            m.track_running_stats = True
