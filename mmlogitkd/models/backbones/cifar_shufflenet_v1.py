# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The CIFAR ShuffleNetV1 (``ShuffleV1``) of the RepDistiller zoo."""
from typing import Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmlogitkd.registry import MODELS
from .utils import channel_shuffle, normalize_out_indices


class ShuffleV1Block(nn.Module):
    """ShuffleNetV1 unit: grouped 1x1 -> shuffle -> depthwise 3x3 -> grouped
    1x1; stride 2 concatenates a 3x3 average-pooled shortcut, stride 1 adds
    the identity; ReLU at the end.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Channels of the residual branch (the block outputs
            ``out_channels + in_channels`` when ``stride == 2``).
        stride (int): 1 or 2.
        groups (int): Groups of the last 1x1 convolution.
        first_groups (int): Groups of the first 1x1 convolution and of the
            shuffle (the original uses 1 right after the 24-channel stem).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 groups: int, first_groups: int):
        super().__init__()
        self.stride = stride
        self.first_groups = first_groups
        mid_channels = int(out_channels / 4)
        self.conv1 = nn.Conv2d(
            in_channels,
            mid_channels,
            kernel_size=1,
            groups=first_groups,
            bias=False)
        self.bn1 = nn.BatchNorm2d(mid_channels)
        self.conv2 = nn.Conv2d(
            mid_channels,
            mid_channels,
            kernel_size=3,
            stride=stride,
            padding=1,
            groups=mid_channels,
            bias=False)
        self.bn2 = nn.BatchNorm2d(mid_channels)
        self.conv3 = nn.Conv2d(
            mid_channels, out_channels, kernel_size=1, groups=groups,
            bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        if stride == 2:
            self.shortcut = nn.AvgPool2d(3, stride=2, padding=1)
        else:
            self.shortcut = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = channel_shuffle(out, self.first_groups)
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        res = self.shortcut(x)
        if self.stride == 2:
            return F.relu(torch.cat([out, res], 1))
        return F.relu(out + res)


@MODELS.register_module()
class CifarShuffleNetV1(BaseModule):
    """The CIFAR ShuffleNetV1 of RepDistiller / mdistiller (``ShuffleV1``).

    Zhang et al., "ShuffleNet: An Extremely Efficient Convolutional Neural
    Network for Mobile Devices", CVPR 2018, in the CIFAR form of the
    distillation zoo: a 1x1 stride-1 stem to 24 channels (no max pool) and
    three stages of (4, 8, 4) units with groups 3 and widths
    (240, 480, 960). Source: ``mdistiller/models/cifar/ShuffleNetv1.py``
    (github megvii-research/mdistiller). Module names equal the original's
    (``conv1, bn1, layer1..3``; units ``conv1..3, bn1..3``); its ``linear``
    classifier lives in the head. Default (PyTorch) initialisation, as the
    original.

    Stages (``out_indices`` 0..2) are ``layer1..layer3`` (after the final
    ReLU of each). For a ``[N, 3, 32, 32]`` input: ``240@16x16, 480@8x8,
    960@4x4``; the last map is ``[N, 960, 4, 4]``.

    Args:
        stage_channels (Sequence[int]): Output widths of the three stages.
            Defaults to (240, 480, 960).
        num_blocks (Sequence[int]): Units per stage. Defaults to (4, 8, 4).
        groups (int): Convolution groups. Defaults to 3.
        in_channels (int): Input image channels. Defaults to 3.
        out_indices (int | Sequence[int]): Stages to return. Defaults to -1.
        init_cfg (dict | list[dict], optional): mmengine init config.
    """

    num_stages = 3
    stem_channels = 24

    def __init__(self,
                 stage_channels: Sequence[int] = (240, 480, 960),
                 num_blocks: Sequence[int] = (4, 8, 4),
                 groups: int = 3,
                 in_channels: int = 3,
                 out_indices: Union[int, Sequence[int]] = -1,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.out_indices = normalize_out_indices(out_indices, self.num_stages)
        self.stage_channels = tuple(stage_channels)
        self.out_channels = self.stage_channels[-1]

        self.conv1 = nn.Conv2d(
            in_channels, self.stem_channels, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(self.stem_channels)
        prev = self.stem_channels
        for i, (width, n) in enumerate(zip(stage_channels, num_blocks)):
            blocks = []
            for j in range(n):
                # The first unit of a stage has stride 2 and concatenates its
                # input, so its residual branch is narrower.
                stride = 2 if j == 0 else 1
                branch = width - prev if j == 0 else width
                first_groups = 1 if prev == self.stem_channels else groups
                blocks.append(
                    ShuffleV1Block(prev, branch, stride, groups,
                                   first_groups))
                prev = width
            self.add_module(f'layer{i + 1}', nn.Sequential(*blocks))

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = F.relu(self.bn1(self.conv1(x)))
        outs = []
        for i in range(self.num_stages):
            x = getattr(self, f'layer{i + 1}')(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
