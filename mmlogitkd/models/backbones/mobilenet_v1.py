# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The ImageNet MobileNetV1 student of the distillation literature."""
from typing import Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmlogitkd.registry import MODELS
from .utils import normalize_out_indices


def conv_bn(in_channels: int, out_channels: int,
            stride: int) -> nn.Sequential:
    """Full 3x3 conv + BN + ReLU (indices 0, 1, 2)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False),
        nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


def conv_dw(in_channels: int, out_channels: int,
            stride: int) -> nn.Sequential:
    """Depthwise 3x3 + BN + ReLU, pointwise 1x1 + BN + ReLU (indices
    0..5)."""
    return nn.Sequential(
        nn.Conv2d(
            in_channels,
            in_channels,
            3,
            stride,
            1,
            groups=in_channels,
            bias=False), nn.BatchNorm2d(in_channels), nn.ReLU(inplace=True),
        nn.Conv2d(in_channels, out_channels, 1, 1, 0, bias=False),
        nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


@MODELS.register_module()
class KDMobileNetV1(BaseModule):
    """MobileNetV1, the ImageNet student of the distillation literature.

    Howard et al., "MobileNets: Efficient Convolutional Neural Networks for
    Mobile Vision Applications", 2017, as defined by mdistiller
    (``mdistiller/models/imagenet/mobilenetv1.py``, github
    megvii-research/mdistiller; the ResNet50 -> MobileNetV1 ImageNet
    benchmark): a stride-2 3x3 conv and 13 depthwise-separable blocks, 1024
    output channels. Named ``KDMobileNetV1`` because mmpretrain ships its
    own (differently built) ``MobileNetV1`` in some versions.

    Module names vs. the original: ``model.{i}`` is ``layers.{i}`` (i in
    0..13; the original ``model.14`` is its ``AvgPool2d(7)``, our neck); its
    ``fc`` lives in the head. Default (PyTorch) initialisation, as the
    original.

    Stages (``out_indices`` 0..3) end after ``layers.3``, ``layers.5``,
    ``layers.11`` and ``layers.13`` (the original's four feature levels),
    with 128, 256, 512, 1024 channels at strides 4, 8, 16, 32: for a
    ``[N, 3, 224, 224]`` input the last map is ``[N, 1024, 7, 7]`` (for a
    32x32 input, ``[N, 1024, 1, 1]``).

    Args:
        in_channels (int): Input image channels. Defaults to 3.
        out_indices (int | Sequence[int]): Stages to return. Defaults to -1.
        init_cfg (dict | list[dict], optional): mmengine init config.
    """

    # (in, out, stride) of the depthwise-separable blocks layers.1..13
    arch_settings = ((32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2),
                     (256, 256, 1), (256, 512, 2), (512, 512, 1),
                     (512, 512, 1), (512, 512, 1), (512, 512, 1),
                     (512, 512, 1), (512, 1024, 2), (1024, 1024, 1))
    stage_ends = (3, 5, 11, 13)
    num_stages = 4

    def __init__(self,
                 in_channels: int = 3,
                 out_indices: Union[int, Sequence[int]] = -1,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.out_indices = normalize_out_indices(out_indices, self.num_stages)
        self._out_layers = tuple(self.stage_ends[i] for i in self.out_indices)
        self.stage_channels = tuple(self.arch_settings[i - 1][1]
                                    for i in self.stage_ends)
        self.out_channels = self.stage_channels[-1]
        layers = [conv_bn(in_channels, 32, 2)]
        layers += [conv_dw(*setting) for setting in self.arch_settings]
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        outs = []
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i in self._out_layers:
                outs.append(x)
        return tuple(outs)
