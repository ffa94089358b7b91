# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Scale-decoupled cell logits: a model's own classifier applied to pooled
regions of its last feature map (the views of SDD). A model-level operation,
used by the classification adapter and by
:class:`~mmlogitkd.models.TorchreidClassifier`."""
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ['check_scales', 'grid_cell_logits']


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
