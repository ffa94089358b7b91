# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The CIFAR-style ResNet18..152 (``resnetv2.py``) of the mdistiller zoo."""
from typing import Dict, Sequence, Tuple, Type, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmlogitkd.registry import MODELS
from .utils import init_conv_kaiming_fan_out, normalize_out_indices


def _shortcut(in_channels: int, out_channels: int, stride: int) -> nn.Module:
    """1x1 conv + BN projection, or an empty Sequential (identity).

    The empty Sequential keeps the original's module tree (``shortcut.0``,
    ``shortcut.1`` when present)."""
    if stride != 1 or in_channels != out_channels:
        return nn.Sequential(
            nn.Conv2d(
                in_channels,
                out_channels,
                kernel_size=1,
                stride=stride,
                bias=False), nn.BatchNorm2d(out_channels))
    return nn.Sequential()


class CifarV2BasicBlock(nn.Module):
    """``relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))``."""
    expansion = 1

    def __init__(self, in_channels: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(
            in_channels,
            planes,
            kernel_size=3,
            stride=stride,
            padding=1,
            bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(
            planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = _shortcut(in_channels, planes * self.expansion,
                                  stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class CifarV2Bottleneck(nn.Module):
    """1x1 -> 3x3 (stride) -> 1x1 (x4) bottleneck with post-activation."""
    expansion = 4

    def __init__(self, in_channels: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, planes, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(
            planes,
            planes,
            kernel_size=3,
            stride=stride,
            padding=1,
            bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(
            planes, planes * self.expansion, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.shortcut = _shortcut(in_channels, planes * self.expansion,
                                  stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + self.shortcut(x))


@MODELS.register_module()
class CifarResNetV2(BaseModule):
    """CIFAR-style ImageNet ResNets of RepDistiller / mdistiller
    (``resnetv2.py``: ``ResNet18`` .. ``ResNet152``).

    He et al., CVPR 2016, with a 3x3 stride-1 stem and no max pool, four
    stages (64, 128, 256, 512 planes; strides 1, 2, 2, 2). Source:
    ``mdistiller/models/cifar/resnetv2.py`` (github
    megvii-research/mdistiller). Module names equal the original's
    (``conv1, bn1, layer1..4``; blocks ``conv*/bn*/shortcut``); its
    ``linear`` classifier lives in the head.

    Stages (``out_indices`` 0..3) are ``layer1..layer4``, outputs after the
    final ReLU of each. For a ``[N, 3, 32, 32]`` input: ``resnet50``:
    ``256@32x32, 512@16x16, 1024@8x8, 2048@4x4`` (last map
    ``[N, 2048, 4, 4]``); ``resnet18/34``: ``64, 128, 256, 512`` channels at
    the same sizes (last map ``[N, 512, 4, 4]``).

    Args:
        arch (str): ``resnet18, resnet34, resnet50, resnet101, resnet152``.
        in_channels (int): Input image channels. Defaults to 3.
        out_indices (int | Sequence[int]): Stages to return. Defaults to -1.
        init_cfg (dict | list[dict], optional): mmengine init config. When
            None, the original initialisation is used (kaiming fan-out,
            identity batch norms, no zero-init of residual BNs).
    """

    arch_settings: Dict[str, Tuple[Type[nn.Module], Tuple[int, ...]]] = {
        'resnet18': (CifarV2BasicBlock, (2, 2, 2, 2)),
        'resnet34': (CifarV2BasicBlock, (3, 4, 6, 3)),
        'resnet50': (CifarV2Bottleneck, (3, 4, 6, 3)),
        'resnet101': (CifarV2Bottleneck, (3, 4, 23, 3)),
        'resnet152': (CifarV2Bottleneck, (3, 8, 36, 3)),
    }
    num_stages = 4

    def __init__(self,
                 arch: str = 'resnet50',
                 in_channels: int = 3,
                 out_indices: Union[int, Sequence[int]] = -1,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if arch not in self.arch_settings:
            raise KeyError(f'Unknown {type(self).__name__} arch {arch!r}; '
                           f'choose from {sorted(self.arch_settings)}')
        block, num_blocks = self.arch_settings[arch]
        self.arch = arch
        self.out_indices = normalize_out_indices(out_indices, self.num_stages)
        planes = (64, 128, 256, 512)
        self.stage_channels = tuple(p * block.expansion for p in planes)
        self.out_channels = self.stage_channels[-1]

        self.conv1 = nn.Conv2d(
            in_channels, 64, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        prev = 64
        for i, (width, n, stride) in enumerate(
                zip(planes, num_blocks, (1, 2, 2, 2))):
            blocks = []
            for j in range(n):
                blocks.append(block(prev, width, stride if j == 0 else 1))
                prev = width * block.expansion
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


@MODELS.register_module()
class CifarResNet50(CifarResNetV2):
    """The CIFAR-style bottleneck ResNet50 teacher of RepDistiller /
    mdistiller (``resnetv2.ResNet50``); see :class:`CifarResNetV2`.

    Last map for a ``[N, 3, 32, 32]`` input: ``[N, 2048, 4, 4]``.

    Args:
        in_channels (int): Input image channels. Defaults to 3.
        out_indices (int | Sequence[int]): Stages (0..3) to return.
            Defaults to -1.
        init_cfg (dict | list[dict], optional): mmengine init config.
    """

    def __init__(self,
                 in_channels: int = 3,
                 out_indices: Union[int, Sequence[int]] = -1,
                 init_cfg=None):
        super().__init__(
            arch='resnet50',
            in_channels=in_channels,
            out_indices=out_indices,
            init_cfg=init_cfg)
