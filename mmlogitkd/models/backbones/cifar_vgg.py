# Copyright (c) mmlogitkd contributors. All rights reserved.
"""CIFAR VGGs (batch-norm variants) of the RepDistiller / mdistiller zoo."""
from typing import Dict, List, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmlogitkd.registry import MODELS
from .utils import init_conv_fan_out_normal, normalize_out_indices


def make_vgg_block(widths: Sequence[int], in_channels: int,
                   with_bn: bool = True) -> nn.Sequential:
    """``conv3x3(+bias) [-> BN] -> ReLU`` for each width, minus the last
    ReLU (the network applies it), as in the original ``_make_layers``."""
    layers: List[nn.Module] = []
    for width in widths:
        layers.append(nn.Conv2d(in_channels, width, kernel_size=3, padding=1))
        if with_bn:
            layers.append(nn.BatchNorm2d(width))
        layers.append(nn.ReLU(inplace=True))
        in_channels = width
    return nn.Sequential(*layers[:-1])


@MODELS.register_module()
class CifarVGG(BaseModule):
    """The CIFAR VGGs of RepDistiller / mdistiller (``vgg.py``, ``*_bn``).

    Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale
    Image Recognition", ICLR 2015, in the CIFAR form of the distillation zoo:
    five conv blocks (``block0..block4``, each conv 3x3 with bias + BN +
    ReLU), 2x2 max pools after blocks 0, 1 and 2, and a max pool after
    block 3 **only for 64x64 inputs** (Tiny-ImageNet), exactly as the
    original. The original's ``pool4`` (adaptive average pooling) and
    ``classifier`` (Linear 512 -> classes) are the neck and the head. Source:
    ``mdistiller/models/cifar/vgg.py`` (github megvii-research/mdistiller),
    the ``vgg8_bn .. vgg19_bn`` builders.

    Module names equal the original's (``block{0..4}``, Sequential indices
    included). Stages (``out_indices`` 0..4) are the five blocks, each
    output after its ReLU. For a ``[N, 3, 32, 32]`` input: ``64@32x32,
    128@16x16, 256@8x8, 512@4x4, 512@4x4``; the last map is
    ``[N, 512, 4, 4]`` (``[N, 512, 4, 4]`` for 64x64 inputs too).

    Args:
        arch (str | list): One of ``vgg8, vgg11, vgg13, vgg16, vgg19`` or a
            list of five lists of widths.
        in_channels (int): Input image channels. Defaults to 3.
        out_indices (int | Sequence[int]): Stages to return. Defaults to -1.
        init_cfg (dict | list[dict], optional): mmengine init config. When
            None, the original initialisation is used.
    """

    arch_settings: Dict[str, Tuple[Tuple[int, ...], ...]] = {
        'vgg8': ((64, ), (128, ), (256, ), (512, ), (512, )),
        'vgg11': ((64, ), (128, ), (256, 256), (512, 512), (512, 512)),
        'vgg13': ((64, 64), (128, 128), (256, 256), (512, 512), (512, 512)),
        'vgg16': ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512),
                  (512, 512, 512)),
        'vgg19': ((64, 64), (128, 128), (256, 256, 256, 256),
                  (512, 512, 512, 512), (512, 512, 512, 512)),
    }
    num_stages = 5

    def __init__(self,
                 arch: Union[str, Sequence[Sequence[int]]] = 'vgg13',
                 in_channels: int = 3,
                 out_indices: Union[int, Sequence[int]] = -1,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if isinstance(arch, str):
            if arch not in self.arch_settings:
                raise KeyError(f'Unknown CifarVGG arch {arch!r}; choose from '
                               f'{sorted(self.arch_settings)}')
            widths = self.arch_settings[arch]
        else:
            widths = tuple(tuple(w) for w in arch)
        if len(widths) != self.num_stages:
            raise ValueError(f'VGG needs 5 blocks of widths, got {widths}')
        self.arch = arch
        self.out_indices = normalize_out_indices(out_indices, self.num_stages)
        self.stage_channels = tuple(w[-1] for w in widths)
        self.out_channels = widths[-1][-1]

        prev = in_channels
        for i, block_widths in enumerate(widths):
            self.add_module(f'block{i}', make_vgg_block(block_widths, prev))
            prev = block_widths[-1]
        for i in range(4):
            self.add_module(f'pool{i}', nn.MaxPool2d(kernel_size=2, stride=2))

        init_conv_fan_out_normal(self)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        # The original pools after block 3 only for 64x64 inputs.
        pool_after_block3 = x.shape[2] == 64
        outs = []
        for i in range(self.num_stages):
            if i > 0 and (i < 4 or pool_after_block3):
                x = getattr(self, f'pool{i - 1}')(x)
            x = F.relu(getattr(self, f'block{i}')(x))
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
