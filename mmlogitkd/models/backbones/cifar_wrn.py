# Copyright (c) mmlogitkd contributors. All rights reserved.
"""CIFAR wide residual networks of the RepDistiller / mdistiller zoo."""
from typing import Dict, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmlogitkd.registry import MODELS
from .utils import init_conv_fan_out_normal, normalize_out_indices


class WideBasicBlock(nn.Module):
    """Pre-activation wide basic block (Zagoruyko & Komodakis).

    When the block changes the width, the *activated* input feeds both the
    residual branch and the 1x1 shortcut; otherwise the raw input is the
    identity, exactly as in the original ``wrn.py``.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the first convolution (and the shortcut).
        drop_rate (float): Dropout between the two convolutions.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 drop_rate: float = 0.0):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.conv1 = nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size=3,
            stride=stride,
            padding=1,
            bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(
            out_channels,
            out_channels,
            kernel_size=3,
            stride=1,
            padding=1,
            bias=False)
        self.drop_rate = drop_rate
        self.equal_in_out = in_channels == out_channels
        if self.equal_in_out:
            self.shortcut = None
        else:
            self.shortcut = nn.Conv2d(
                in_channels,
                out_channels,
                kernel_size=1,
                stride=stride,
                padding=0,
                bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        act = F.relu(self.bn1(x))
        if self.shortcut is None:
            identity = x
        else:
            identity = self.shortcut(act)
        out = F.relu(self.bn2(self.conv1(act)))
        if self.drop_rate > 0:
            out = F.dropout(out, p=self.drop_rate, training=self.training)
        return identity + self.conv2(out)


@MODELS.register_module()
class CifarWideResNet(BaseModule):
    """The CIFAR wide ResNets of RepDistiller / mdistiller (``wrn.py``).

    Zagoruyko & Komodakis, "Wide Residual Networks", BMVC 2016:
    ``wrn_<depth>_<widen>`` with ``n = (depth - 4) / 6`` pre-activation
    blocks per stage, widths ``16, 16k, 32k, 64k``, strides 1, 2, 2, and a
    final batch norm + ReLU before global average pooling. Source:
    ``mdistiller/models/cifar/wrn.py`` (github megvii-research/mdistiller).

    Module names vs. the original: ``block{i}.layer.{j}`` is
    ``layer{i}.{j}``, a block's ``convShortcut`` is ``shortcut`` and the
    top-level final ``bn1`` is ``final_bn``; the original ``fc`` lives in the
    classification head (see ``mmlogitkd.models.converters.mdistiller``).

    Stages (``out_indices`` 0..2) are ``layer1..layer3``. The outputs of
    stages 0 and 1 are the raw (pre-activation) block outputs; the output of
    the last stage includes ``relu(final_bn(.))``, i.e. it is the map that the
    original pools. For a ``[N, 3, 32, 32]`` input the stage outputs are
    ``16k@32x32, 32k@16x16, 64k@8x8``; the last map is ``[N, 64k, 8, 8]``
    (``k = 1`` for ``wrn_*_1``, 2 for ``wrn_*_2``).

    Args:
        arch (str | dict): One of ``wrn_16_1, wrn_16_2, wrn_40_1, wrn_40_2``
            or a dict with ``depth`` (6n+4) and ``widen_factor``.
        in_channels (int): Input image channels. Defaults to 3.
        drop_rate (float): Dropout inside blocks. Defaults to 0 (as in the
            distillation zoo).
        out_indices (int | Sequence[int]): Stages to return. Defaults to -1.
        init_cfg (dict | list[dict], optional): mmengine init config. When
            None, the original initialisation is used.
    """

    arch_settings: Dict[str, Tuple[int, int]] = {
        'wrn_16_1': (16, 1),
        'wrn_16_2': (16, 2),
        'wrn_40_1': (40, 1),
        'wrn_40_2': (40, 2),
    }
    num_stages = 3

    def __init__(self,
                 arch: Union[str, dict] = 'wrn_40_2',
                 in_channels: int = 3,
                 drop_rate: float = 0.0,
                 out_indices: Union[int, Sequence[int]] = -1,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if isinstance(arch, str):
            if arch not in self.arch_settings:
                raise KeyError(f'Unknown CifarWideResNet arch {arch!r}; '
                               f'choose from {sorted(self.arch_settings)}')
            depth, widen = self.arch_settings[arch]
        else:
            depth, widen = arch['depth'], arch['widen_factor']
        if (depth - 4) % 6 != 0:
            raise ValueError(f'depth must be 6n+4, got {depth}')
        num_blocks = (depth - 4) // 6
        channels = (16, 16 * widen, 32 * widen, 64 * widen)
        self.arch = arch
        self.out_indices = normalize_out_indices(out_indices, self.num_stages)
        self.stage_channels = channels[1:]
        self.out_channels = channels[-1]

        self.conv1 = nn.Conv2d(
            in_channels,
            channels[0],
            kernel_size=3,
            stride=1,
            padding=1,
            bias=False)
        prev = channels[0]
        for i, (width, stride) in enumerate(zip(channels[1:], (1, 2, 2))):
            blocks = []
            for j in range(num_blocks):
                blocks.append(
                    WideBasicBlock(prev, width, stride if j == 0 else 1,
                                   drop_rate))
                prev = width
            self.add_module(f'layer{i + 1}', nn.Sequential(*blocks))
        self.final_bn = nn.BatchNorm2d(channels[-1])

        init_conv_fan_out_normal(self)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = self.conv1(x)
        outs = []
        for i in range(self.num_stages):
            x = getattr(self, f'layer{i + 1}')(x)
            if i == self.num_stages - 1:
                x = F.relu(self.final_bn(x))
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
