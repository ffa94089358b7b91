# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The view makers of scale-decoupled distillation, against direct
slicing and pooling."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmlogitkd.distillers import grid_cell_logits, polyphase_views


def test_grid_cell_logits_cells():
    torch.manual_seed(0)
    fc = nn.Linear(8, 5).double()
    fmap = torch.randn(2, 8, 8, 8, dtype=torch.float64)
    cells = grid_cell_logits(fmap, fc, (1, 2, 4))
    assert cells.shape == (2, 5, 21)
    # cell 0: global average pooling -> the ordinary logits
    torch.testing.assert_close(cells[:, :, 0], fc(fmap.mean((2, 3))))
    # 2x2 cells, row-major, then 4x4 cells, row-major
    for m, offset in ((2, 1), (4, 5)):
        step = 8 // m
        for i in range(m):
            for j in range(m):
                region = fmap[:, :, i * step:(i + 1) * step,
                              j * step:(j + 1) * step].mean((2, 3))
                torch.testing.assert_close(cells[:, :, offset + i * m + j],
                                           fc(region))


def test_grid_cell_logits_non_divisible():
    # 7x7 (ImageNet): adaptive bins overlap; 7 -> 2 cells: rows 0-3 and 3-6
    fc = nn.Linear(4, 3).double()
    fmap = torch.randn(1, 4, 7, 7, dtype=torch.float64)
    cells = grid_cell_logits(fmap, fc, (1, 2, 4))
    assert cells.shape == (1, 3, 21)
    torch.testing.assert_close(cells[:, :, 0], fc(fmap.mean((2, 3))))
    torch.testing.assert_close(cells[:, :, 1], fc(fmap[:, :, 0:4,
                                                       0:4].mean((2, 3))))
    torch.testing.assert_close(cells[:, :, 4], fc(fmap[:, :, 3:7,
                                                       3:7].mean((2, 3))))
    torch.testing.assert_close(cells[:, :, 5:], fc(
        F.adaptive_avg_pool2d(fmap, 4).flatten(2).transpose(1, 2)).transpose(
            1, 2))
    with pytest.raises(ValueError, match=r'\[N, c, h, w\]'):
        grid_cell_logits(fmap[0], fc)
    with pytest.raises(ValueError, match='sdd_scales'):
        grid_cell_logits(fmap, fc, (1, 0))


def test_polyphase_views():
    x = torch.randn(3, 2, 14, 14, dtype=torch.float64)
    views = polyphase_views(x)
    assert views.shape == (5, 3, 2, 7, 7)
    for i in range(7):
        for j in range(7):
            block = x[..., 2 * i:2 * i + 2, 2 * j:2 * j + 2]
            torch.testing.assert_close(views[0, ..., i, j],
                                       block.mean((-2, -1)))
            # (row, column) parity: even-even, even-odd, odd-odd, odd-even
            for v, (r, c) in enumerate(((0, 0), (0, 1), (1, 1), (1, 0)), 1):
                torch.testing.assert_close(views[v, ..., i, j],
                                           block[..., r, c])
    # the four local views partition the 14x14 map: their mean is view 0
    torch.testing.assert_close(views[1:].mean(0), views[0])
    with pytest.raises(ValueError, match='even'):
        polyphase_views(x[..., :13, :13])
