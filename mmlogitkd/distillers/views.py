# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Views for scale-decoupled distillation: how the task adapters turn one
model's features into ``[N, C, K]`` view logits (view 0 the global one) for
:class:`~mmlogitkd.losses.ScaleDecoupledLoss`."""
from contextlib import contextmanager
from typing import Iterator

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

from mmlogitkd.models.cell_logits import check_scales, grid_cell_logits

__all__ = [
    'check_scales', 'grid_cell_logits', 'polyphase_views',
    'frozen_norm_stats'
]


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
