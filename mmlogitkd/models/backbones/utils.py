# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Small helpers shared by the CIFAR-zoo backbones (pure torch)."""
import math
from typing import Sequence, Tuple, Union

import torch
import torch.nn as nn


def normalize_out_indices(out_indices: Union[int, Sequence[int]],
                          num_stages: int) -> Tuple[int, ...]:
    """Turn ``out_indices`` into a sorted tuple of non-negative stage indices.

    Args:
        out_indices (int | Sequence[int]): Stage indices; negative values
            count from the end (``-1`` is the last stage).
        num_stages (int): Number of stages of the backbone.

    Returns:
        tuple[int]: Sorted, de-duplicated, non-negative indices.
    """
    if isinstance(out_indices, int):
        out_indices = [out_indices]
    if not isinstance(out_indices, Sequence) or len(out_indices) == 0:
        raise TypeError('out_indices must be an int or a non-empty sequence '
                        f'of ints, but got {out_indices!r}')
    normalized = []
    for index in out_indices:
        if not isinstance(index, int):
            raise TypeError(f'out_indices must hold ints, got {index!r}')
        if not -num_stages <= index < num_stages:
            raise ValueError(f'out index {index} is out of range for a '
                             f'backbone with {num_stages} stages')
        normalized.append(index % num_stages)
    return tuple(sorted(set(normalized)))


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """ShuffleNet channel shuffle ``[N, g*c, H, W] -> [N, c*g, H, W]``."""
    n, c, h, w = x.shape
    return x.reshape(n, groups, c // groups, h, w).transpose(1, 2).reshape(
        n, c, h, w)


def init_conv_fan_out_normal(module: nn.Module) -> None:
    """The classic ``normal(0, sqrt(2 / (k_h * k_w * out_channels)))`` init.

    Convolution biases are zeroed and batch-norm layers set to identity, as
    in the WRN / VGG / MobileNetV2 definitions of RepDistiller / mdistiller.
    """
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
            nn.init.normal_(m.weight, 0, math.sqrt(2.0 / n))
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def init_conv_kaiming_fan_out(module: nn.Module) -> None:
    """``kaiming_normal_(fan_out, relu)`` for convs, identity batch norms.

    As in the CIFAR ResNet definitions of RepDistiller / mdistiller.
    """
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(
                m.weight, mode='fan_out', nonlinearity='relu')
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
