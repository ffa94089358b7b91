# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The CIFAR MobileNetV2 (``mobile_half``) of the RepDistiller zoo."""
from typing import Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmlogitkd.registry import MODELS
from .utils import init_conv_fan_out_normal, normalize_out_indices


def conv_bn_relu(in_channels: int, out_channels: int, kernel_size: int,
                 stride: int) -> nn.Sequential:
    """``Sequential(conv(no bias), BN, ReLU)`` (indices 0, 1, 2)."""
    return nn.Sequential(
        nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            kernel_size // 2,
            bias=False), nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


class InvertedResidual(nn.Module):
    """MobileNetV2 inverted residual: 1x1 expand + ReLU, depthwise 3x3 +
    ReLU, 1x1 linear projection; identity added when the shape is kept.

    Unlike torchvision, the 1x1 expansion exists even for ``expand_ratio ==
    1``, as in the original. The layers sit in ``self.conv`` (indices 0..7).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 expand_ratio: int):
        super().__init__()
        assert stride in (1, 2), f'stride must be 1 or 2, got {stride}'
        hidden = in_channels * expand_ratio
        self.use_res_connect = stride == 1 and in_channels == out_channels
        self.conv = nn.Sequential(
            nn.Conv2d(in_channels, hidden, 1, 1, 0, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU(inplace=True),
            nn.Conv2d(
                hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, out_channels, 1, 1, 0, bias=False),
            nn.BatchNorm2d(out_channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.use_res_connect:
            return x + self.conv(x)
        return self.conv(x)


@MODELS.register_module()
class CifarMobileNetV2(BaseModule):
    """The CIFAR MobileNetV2 of RepDistiller / mdistiller (``mobile_half``).

    Sandler et al., "MobileNetV2: Inverted Residuals and Linear
    Bottlenecks", CVPR 2018, as defined by the distillation zoo
    (``mdistiller/models/cifar/mobilenetv2.py``, github
    megvii-research/mdistiller): stride-2 3x3 stem, seven inverted-residual
    stages (t, c, n, s) = (1, 16, 1, 1), (T, 24, 2, 1), (T, 32, 3, 2),
    (T, 64, 4, 2), (T, 96, 3, 1), (T, 160, 3, 2), (T, 320, 1, 1) with widths
    scaled by ``width_mult``, then a 1x1 conv to 1280 channels (scaled only
    when ``width_mult > 1``) + BN + ReLU. ``mobile_half`` (the "MobileNetV2"
    student of the CIFAR-100 benchmarks) is ``width_mult=0.5, T=6``.

    Module names vs. the original: ``blocks.{i}`` is ``layer{i+1}``; the
    rest (``conv1``, ``conv2``, inner ``conv.{k}``) is unchanged; its
    ``classifier.0`` lives in the head. The original's ``AvgPool2d(2,
    ceil_mode=True)`` on the 2x2 map of a 32x32 input is global average
    pooling (our neck).

    Stages (``out_indices`` 0..7) are ``layer1..layer7`` and the final
    ``conv2`` (as mmpretrain's MobileNetV2). For a ``[N, 3, 32, 32]`` input
    and ``width_mult=0.5``: ``8@16, 12@16, 16@8, 32@4, 48@4, 80@2, 160@2,
    1280@2`` (channels@side); the last map is ``[N, 1280, 2, 2]``.

    Args:
        width_mult (float): Width multiplier. Defaults to 0.5.
        expand_ratio (int): Expansion ``T`` of stages 2..7. Defaults to 6.
        in_channels (int): Input image channels. Defaults to 3.
        out_indices (int | Sequence[int]): Stages to return. Defaults to -1.
        init_cfg (dict | list[dict], optional): mmengine init config. When
            None, the original initialisation is used.
    """

    num_stages = 8

    def __init__(self,
                 width_mult: float = 0.5,
                 expand_ratio: int = 6,
                 in_channels: int = 3,
                 out_indices: Union[int, Sequence[int]] = -1,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        t = expand_ratio
        settings = [
            # t, c, n, s
            [1, 16, 1, 1],
            [t, 24, 2, 1],
            [t, 32, 3, 2],
            [t, 64, 4, 2],
            [t, 96, 3, 1],
            [t, 160, 3, 2],
            [t, 320, 1, 1],
        ]
        self.width_mult = width_mult
        self.out_indices = normalize_out_indices(out_indices, self.num_stages)

        prev = int(32 * width_mult)
        self.conv1 = conv_bn_relu(in_channels, prev, 3, 2)
        stage_channels = []
        for i, (ratio, c, n, s) in enumerate(settings):
            width = int(c * width_mult)
            blocks = []
            for j in range(n):
                blocks.append(
                    InvertedResidual(prev, width, s if j == 0 else 1, ratio))
                prev = width
            self.add_module(f'layer{i + 1}', nn.Sequential(*blocks))
            stage_channels.append(width)
        last_channels = int(1280 * width_mult) if width_mult > 1.0 else 1280
        self.conv2 = conv_bn_relu(prev, last_channels, 1, 1)
        stage_channels.append(last_channels)
        self.stage_channels = tuple(stage_channels)
        self.out_channels = last_channels

        init_conv_fan_out_normal(self)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = self.conv1(x)
        outs = []
        for i in range(self.num_stages - 1):
            x = getattr(self, f'layer{i + 1}')(x)
            if i in self.out_indices:
                outs.append(x)
        x = self.conv2(x)
        if self.num_stages - 1 in self.out_indices:
            outs.append(x)
        return tuple(outs)
