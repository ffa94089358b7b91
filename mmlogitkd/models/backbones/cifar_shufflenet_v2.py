# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The CIFAR ShuffleNetV2 (``ShuffleV2``) of the RepDistiller zoo."""
from typing import Dict, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmlogitkd.registry import MODELS
from .utils import channel_shuffle, normalize_out_indices


class ShuffleV2Block(nn.Module):
    """Stride-1 ShuffleNetV2 unit: split the channels in half, transform the
    second half (1x1 + ReLU, depthwise 3x3, 1x1 + ReLU), concatenate with the
    untouched first half and shuffle with 2 groups."""

    def __init__(self, in_channels: int, split_ratio: float = 0.5):
        super().__init__()
        self.split_ratio = split_ratio
        channels = int(in_channels * split_ratio)
        self.conv1 = nn.Conv2d(channels, channels, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(
            channels,
            channels,
            kernel_size=3,
            stride=1,
            padding=1,
            groups=channels,
            bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.conv3 = nn.Conv2d(channels, channels, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = int(x.shape[1] * self.split_ratio)
        x1, x2 = x[:, :c], x[:, c:]
        out = F.relu(self.bn1(self.conv1(x2)))
        out = self.bn2(self.conv2(out))
        out = F.relu(self.bn3(self.conv3(out)))
        return channel_shuffle(torch.cat([x1, out], 1), 2)


class ShuffleV2DownBlock(nn.Module):
    """Stride-2 ShuffleNetV2 unit with two branches (left: depthwise 3x3 s2
    + 1x1; right: 1x1, depthwise 3x3 s2, 1x1), concatenated and shuffled."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        mid_channels = out_channels // 2
        # left branch
        self.conv1 = nn.Conv2d(
            in_channels,
            in_channels,
            kernel_size=3,
            stride=2,
            padding=1,
            groups=in_channels,
            bias=False)
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.conv2 = nn.Conv2d(
            in_channels, mid_channels, kernel_size=1, bias=False)
        self.bn2 = nn.BatchNorm2d(mid_channels)
        # right branch
        self.conv3 = nn.Conv2d(
            in_channels, mid_channels, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(mid_channels)
        self.conv4 = nn.Conv2d(
            mid_channels,
            mid_channels,
            kernel_size=3,
            stride=2,
            padding=1,
            groups=mid_channels,
            bias=False)
        self.bn4 = nn.BatchNorm2d(mid_channels)
        self.conv5 = nn.Conv2d(
            mid_channels, mid_channels, kernel_size=1, bias=False)
        self.bn5 = nn.BatchNorm2d(mid_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        left = self.bn1(self.conv1(x))
        left = F.relu(self.bn2(self.conv2(left)))
        right = F.relu(self.bn3(self.conv3(x)))
        right = self.bn4(self.conv4(right))
        right = F.relu(self.bn5(self.conv5(right)))
        return channel_shuffle(torch.cat([left, right], 1), 2)


@MODELS.register_module()
class CifarShuffleNetV2(BaseModule):
    """The CIFAR ShuffleNetV2 of RepDistiller / mdistiller (``ShuffleV2``).

    Ma et al., "ShuffleNet V2: Practical Guidelines for Efficient CNN
    Architecture Design", ECCV 2018, in the CIFAR form of the distillation
    zoo: a 1x1 stride-1 stem to 24 channels (no max pool), three stages of
    one down-sampling unit plus (3, 7, 3) units, and a final 1x1 conv + BN +
    ReLU. Source: ``mdistiller/models/cifar/ShuffleNetv2.py`` (github
    megvii-research/mdistiller); ``ShuffleV2`` is ``net_size=1``. Module
    names equal the original's (``conv1, bn1, layer1..3, conv2, bn2``); its
    ``linear`` classifier lives in the head. Default (PyTorch)
    initialisation, as the original.

    Stages (``out_indices`` 0..3) are ``layer1..layer3`` and the final
    ``relu(bn2(conv2(.)))``. For a ``[N, 3, 32, 32]`` input and
    ``net_size=1``: ``116@16x16, 232@8x8, 464@4x4, 1024@4x4``; the last map
    is ``[N, 1024, 4, 4]``.

    Args:
        net_size (float): Width setting, one of 0.2, 0.3, 0.5, 1, 1.5, 2.
            Defaults to 1.
        in_channels (int): Input image channels. Defaults to 3.
        out_indices (int | Sequence[int]): Stages to return. Defaults to -1.
        init_cfg (dict | list[dict], optional): mmengine init config.
    """

    arch_settings: Dict[float, Tuple[Tuple[int, ...], Tuple[int, ...]]] = {
        0.2: ((40, 80, 160, 512), (3, 3, 3)),
        0.3: ((40, 80, 160, 512), (3, 7, 3)),
        0.5: ((48, 96, 192, 1024), (3, 7, 3)),
        1: ((116, 232, 464, 1024), (3, 7, 3)),
        1.5: ((176, 352, 704, 1024), (3, 7, 3)),
        2: ((224, 488, 976, 2048), (3, 7, 3)),
    }
    num_stages = 4
    stem_channels = 24

    def __init__(self,
                 net_size: float = 1,
                 in_channels: int = 3,
                 out_indices: Union[int, Sequence[int]] = -1,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if net_size not in self.arch_settings:
            raise KeyError(f'Unknown CifarShuffleNetV2 net_size {net_size!r}'
                           f'; choose from {sorted(self.arch_settings)}')
        widths, num_blocks = self.arch_settings[net_size]
        self.net_size = net_size
        self.out_indices = normalize_out_indices(out_indices, self.num_stages)
        self.stage_channels = tuple(widths)
        self.out_channels = widths[-1]

        self.conv1 = nn.Conv2d(
            in_channels, self.stem_channels, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(self.stem_channels)
        prev = self.stem_channels
        for i, (width, n) in enumerate(zip(widths[:3], num_blocks)):
            blocks = [ShuffleV2DownBlock(prev, width)]
            blocks += [ShuffleV2Block(width) for _ in range(n)]
            self.add_module(f'layer{i + 1}', nn.Sequential(*blocks))
            prev = width
        self.conv2 = nn.Conv2d(
            prev, widths[3], kernel_size=1, stride=1, padding=0, bias=False)
        self.bn2 = nn.BatchNorm2d(widths[3])

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = F.relu(self.bn1(self.conv1(x)))
        outs = []
        for i in range(self.num_stages - 1):
            x = getattr(self, f'layer{i + 1}')(x)
            if i in self.out_indices:
                outs.append(x)
        x = F.relu(self.bn2(self.conv2(x)))
        if self.num_stages - 1 in self.out_indices:
            outs.append(x)
        return tuple(outs)
