# Copyright (c) mmlogitkd contributors. All rights reserved.
"""CTKD's learnable temperature: the gradient-reversal layer, the global and
the instance-wise temperature modules, and the curriculum of lambda.

Li et al., "Curriculum Temperature for Knowledge Distillation", AAAI 2023;
official code ``zhengli97/CTKD`` (``models/temp_global.py``,
``train_student.py`` ``CosineDecay``, ``helper/loops.py``).
"""
import math
from typing import Optional

import torch
import torch.nn as nn
from torch import Tensor

__all__ = [
    'GradientReversal', 'grad_reverse', 'GlobalTemperature',
    'InstanceTemperature', 'cosine_lambda'
]


class GradientReversal(torch.autograd.Function):
    """Identity forward; the backward multiplies the gradient by
    ``-lambda`` (Ganin & Lempitsky, 2015).

    The official ``GradientReversalFunction`` multiplies by its argument,
    which its schedule makes ``-lambda`` (``decay_value`` in ``[-1, 0]``);
    here the sign is explicit and ``lambda_ >= 0`` reverses.
    """

    @staticmethod
    def forward(ctx, x: Tensor, lambda_: float) -> Tensor:
        ctx.lambda_ = lambda_
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: Tensor):
        return grad * -ctx.lambda_, None


def grad_reverse(x: Tensor, lambda_: float) -> Tensor:
    """``x`` forward, ``-lambda_ * grad`` backward (any shape)."""
    return GradientReversal.apply(x, float(lambda_))


def cosine_lambda(epoch: int,
                  lambda_max: float = 1.0,
                  lambda_min: float = 0.0,
                  num_epochs: int = 10) -> float:
    """CTKD's curriculum: lambda of the gradient reversal in ``epoch``.

    ``lambda = lambda_min + (lambda_max - lambda_min) * (1 - cos(pi * e /
    L)) / 2`` with ``e = min(max(epoch, 0), L)``: 0 at epoch 0, rising to
    ``lambda_max`` at epoch L = ``num_epochs`` and constant after. This is
    the official ``CosineDecay(max_value=0, min_value=-1, num_loops=10)
    .get_value(epoch)`` (``train_student.py`` l.186-202, l.401-419) with its
    sign moved into the reversal: the official ``decay_value`` is
    ``-lambda``. The official loop passes the 1-based epoch (first epoch:
    lambda = 0.0245).

    Args:
        epoch (int): 1-based epoch, as the official loop.
        lambda_max (float): Final lambda. Defaults to 1.
        lambda_min (float): Lambda at epoch 0. Defaults to 0.
        num_epochs (int): Epochs of the ramp (``--decay_loops``, 10 on
            CIFAR-100, 5 on ImageNet). Defaults to 10.

    Returns:
        float: lambda.
    """
    e = min(max(epoch, 0), num_epochs)
    ramp = (1.0 - math.cos(math.pi * e / num_epochs)) / 2.0
    return lambda_min + (lambda_max - lambda_min) * ramp


class GlobalTemperature(nn.Module):
    """One learnable temperature for every row (the official ``Global_T``).

    ``T = t_start + t_end * sigmoid(GRL(theta))``, ``theta`` a scalar
    parameter initialised to 1 (``torch.ones(1)``): ``T = 15.62`` at the
    start with the official ``t_start=1, t_end=20``.

    Args:
        t_start (float): Lower bound of T. Defaults to 1.
        t_end (float): Range of T (upper bound ``t_start + t_end``).
            Defaults to 20.
        init (float): Initial ``theta``. Defaults to 1.
    """

    def __init__(self,
                 t_start: float = 1.0,
                 t_end: float = 20.0,
                 init: float = 1.0) -> None:
        super().__init__()
        self.t_start = float(t_start)
        self.t_end = float(t_end)
        self.theta = nn.Parameter(torch.full((1, ), float(init)))

    def forward(self, student: Tensor, teacher: Tensor,
                lambda_: float) -> Tensor:
        """Temperature ``[1]`` (broadcasts over ``[N, C]`` logits).

        Args:
            student (Tensor): ``[N, C]`` (unused: one T for every row).
            teacher (Tensor): ``[N, C]`` (unused).
            lambda_ (float): Gradient-reversal strength.
        """
        theta = grad_reverse(self.theta, lambda_).to(student.dtype)
        return self.t_start + self.t_end * torch.sigmoid(theta)

    def extra_repr(self) -> str:
        return f't_start={self.t_start}, t_end={self.t_end}'


class InstanceTemperature(nn.Module):
    """A temperature per row, predicted by a 2-layer MLP from the teacher's
    and the student's logits (CTKD's instance-wise variant).

    ``T_n = t_start + t_end * sigmoid(GRL(MLP([t_n, s_n])))``, the MLP
    ``Linear(2C, hidden) -> ReLU -> Linear(hidden, 1)``. The logits enter
    detached: the student learns from the distillation loss only, never
    through the adversarial temperature path. The official repository
    publishes only the global module; its instance-wise module is in the
    authors' Google Drive / Baidu folders, not in the code, so this MLP
    follows the paper's description (a module fed with both models'
    predictions), not a copy.

    Args:
        num_classes (int): C.
        hidden_channels (int): Width of the hidden layer. Defaults to 256.
        t_start (float): Lower bound of T. Defaults to 1.
        t_end (float): Range of T. Defaults to 20.
    """

    def __init__(self,
                 num_classes: int,
                 hidden_channels: int = 256,
                 t_start: float = 1.0,
                 t_end: float = 20.0) -> None:
        super().__init__()
        if num_classes < 1 or hidden_channels < 1:
            raise ValueError('InstanceTemperature needs num_classes >= 1 and '
                             f'hidden_channels >= 1, got {num_classes}, '
                             f'{hidden_channels}')
        self.num_classes = int(num_classes)
        self.t_start = float(t_start)
        self.t_end = float(t_end)
        self.mlp = nn.Sequential(nn.Linear(2 * num_classes, hidden_channels),
                                 nn.ReLU(), nn.Linear(hidden_channels, 1))

    def forward(self, student: Tensor, teacher: Tensor,
                lambda_: float) -> Tensor:
        """Temperatures ``[N, 1]`` from ``[N, C]`` logits."""
        if student.shape[1] != self.num_classes:
            raise ValueError(
                f'InstanceTemperature was built for {self.num_classes} '
                f'classes, got logits of shape {tuple(student.shape)}')
        x = torch.cat((teacher.detach(), student.detach()), dim=1)
        out = self.mlp(x.to(self.mlp[0].weight.dtype))
        out = grad_reverse(out, lambda_).to(student.dtype)
        return self.t_start + self.t_end * torch.sigmoid(out)

    def extra_repr(self) -> str:
        return f't_start={self.t_start}, t_end={self.t_end}'


def build_temperature_module(mode: str, num_classes: Optional[int],
                             **kwargs) -> nn.Module:
    """``'global'`` -> :class:`GlobalTemperature`, ``'instance'`` ->
    :class:`InstanceTemperature` (needs ``num_classes``)."""
    if mode == 'global':
        kwargs.pop('hidden_channels', None)
        return GlobalTemperature(**kwargs)
    if mode == 'instance':
        if num_classes is None:
            raise ValueError("CTKD mode='instance' needs num_classes (the "
                             'width of the logits) to build its MLP')
        return InstanceTemperature(num_classes, **kwargs)
    raise ValueError(f"CTKD mode must be 'global' or 'instance', got "
                     f'{mode!r}')
