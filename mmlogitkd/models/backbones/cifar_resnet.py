# Copyright (c) mmlogitkd contributors. All rights reserved.
"""CIFAR ResNets (basic blocks) of the RepDistiller / mdistiller zoo."""
from typing import Dict, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmlogitkd.registry import MODELS
from .utils import init_conv_kaiming_fan_out, normalize_out_indices


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    """3x3 convolution, padding 1, no bias."""
    return nn.Conv2d(
        in_channels,
        out_channels,
        kernel_size=3,
        stride=stride,
        padding=1,
        bias=False)


class CifarBasicBlock(nn.Module):
    """Post-activation basic block: ``relu(bn2(conv2(relu(bn1(conv1(x))))) +
    shortcut(x))``.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the first convolution. Defaults to 1.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        super().__init__()
        self.conv1 = conv3x3(in_channels, out_channels, stride)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = conv3x3(out_channels, out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(
                    in_channels,
                    out_channels,
                    kernel_size=1,
                    stride=stride,
                    bias=False), nn.BatchNorm2d(out_channels))
        else:
            self.downsample = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + identity)


@MODELS.register_module()
class CifarResNet(BaseModule):
    """The CIFAR ResNets of RepDistiller / mdistiller (``resnet.py``).

    He et al., "Deep Residual Learning for Image Recognition", CVPR 2016,
    CIFAR variant (3x3 stem, three stages of ``n = (depth - 2) / 6`` basic
    blocks, strides 1, 2, 2), with the channel widths used by the
    distillation literature (``x4`` = four times wider). Source:
    ``mdistiller/models/cifar/resnet.py`` (github megvii-research/mdistiller),
    itself from RepDistiller (github HobbitLong/RepDistiller).

    Module names equal the original's (``conv1``, ``bn1``, ``layer{1,2,3}``;
    blocks ``conv1, bn1, conv2, bn2, downsample``), only its ``fc`` lives in
    the classification head.

    Stages (``out_indices`` 0..2) are ``layer1..layer3``; every output is
    after the block's final ReLU. For a ``[N, 3, 32, 32]`` input:

    ==============  ==================  =====================
    arch            stage outputs       last map (pooled)
    ==============  ==================  =====================
    resnet8..110    16@32, 32@16, 64@8  ``[N, 64, 8, 8]``
    resnet8x4/32x4  64@32, 128@16,      ``[N, 256, 8, 8]``
                    256@8
    ==============  ==================  =====================

    Args:
        arch (str | dict): One of ``resnet8, resnet14, resnet20, resnet32,
            resnet44, resnet56, resnet110, resnet8x4, resnet32x4``, or a dict
            with ``depth`` (6n+2) and ``channels`` (stem, stage1..3).
        in_channels (int): Input image channels. Defaults to 3.
        out_indices (int | Sequence[int]): Stages to return. Defaults to -1.
        init_cfg (dict | list[dict], optional): mmengine init config. When
            None, the original initialisation is used (kaiming-normal
            fan-out convs, identity batch norms).
    """

    arch_settings: Dict[str, Tuple[int, Tuple[int, int, int, int]]] = {
        'resnet8': (8, (16, 16, 32, 64)),
        'resnet14': (14, (16, 16, 32, 64)),
        'resnet20': (20, (16, 16, 32, 64)),
        'resnet32': (32, (16, 16, 32, 64)),
        'resnet44': (44, (16, 16, 32, 64)),
        'resnet56': (56, (16, 16, 32, 64)),
        'resnet110': (110, (16, 16, 32, 64)),
        'resnet8x4': (8, (32, 64, 128, 256)),
        'resnet32x4': (32, (32, 64, 128, 256)),
    }
    num_stages = 3

    def __init__(self,
                 arch: Union[str, dict] = 'resnet32x4',
                 in_channels: int = 3,
                 out_indices: Union[int, Sequence[int]] = -1,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if isinstance(arch, str):
            if arch not in self.arch_settings:
                raise KeyError(f'Unknown CifarResNet arch {arch!r}; choose '
                               f'from {sorted(self.arch_settings)}')
            depth, channels = self.arch_settings[arch]
        else:
            depth, channels = arch['depth'], tuple(arch['channels'])
        if (depth - 2) % 6 != 0:
            raise ValueError(f'depth must be 6n+2, got {depth}')
        if len(channels) != 4:
            raise ValueError('channels must be (stem, stage1, stage2, '
                             f'stage3), got {channels}')
        num_blocks = (depth - 2) // 6
        self.arch = arch
        self.depth = depth
        self.out_indices = normalize_out_indices(out_indices, self.num_stages)
        self.stage_channels = tuple(channels[1:])
        self.out_channels = channels[-1]

        self.conv1 = nn.Conv2d(
            in_channels, channels[0], kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels[0])
        prev = channels[0]
        for i, (width, stride) in enumerate(zip(channels[1:], (1, 2, 2))):
            blocks = []
            for j in range(num_blocks):
                blocks.append(
                    CifarBasicBlock(prev, width, stride if j == 0 else 1))
                prev = width
            self.add_module(f'layer{i + 1}', nn.Sequential(*blocks))

        init_conv_kaiming_fan_out(self)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = F.relu(self.bn1(self.conv1(x)))
        outs = []
        for i in range(self.num_stages):
            x = getattr(self, f'layer{i + 1}')(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
