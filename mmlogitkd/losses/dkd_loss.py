# Copyright (c) mmlogitkd contributors. All rights reserved.
from typing import Optional

from torch import Tensor

from mmlogitkd.registry import MODELS
from .base import BaseLogitLoss
from .functional import dkd_loss


@MODELS.register_module()
class DKDLoss(BaseLogitLoss):
    """Decoupled knowledge distillation (Zhao et al., "Decoupled Knowledge
    Distillation", CVPR 2022).

    ``alpha * TCKD + beta * NCKD`` per row (see :func:`dkd_loss`), batch
    mean. Call: ``loss(student [N, C], teacher [N, C], target [N])``;
    ``target`` is required and C >= 2. The linear warm-up of the paper is
    the distiller's ``distill_warmup``, not part of the loss. See
    :class:`BaseLogitLoss` for the shared arguments.

    Args:
        alpha (float): Target-class (TCKD) weight. Defaults to 1.0.
        beta (float): Non-target-class (NCKD) weight. Defaults to 8.0.
        temperature (float): T. Defaults to 4.0.
    """

    requires_target = True

    def __init__(self,
                 alpha: float = 1.0,
                 beta: float = 8.0,
                 temperature: float = 4.0,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if not temperature > 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.alpha = float(alpha)
        self.beta = float(beta)
        self.temperature = float(temperature)

    def loss_per_row(self, student: Tensor, teacher: Tensor,
                     target: Optional[Tensor]) -> Tensor:
        if student.shape[1] < 2:
            raise ValueError('DKDLoss needs C >= 2 classes, got logits of '
                             f'shape {tuple(student.shape)}')
        return dkd_loss(student, teacher, target, self.alpha, self.beta,
                        self.temperature)

    def extra_repr(self) -> str:
        return (f'alpha={self.alpha}, beta={self.beta}, '
                f'temperature={self.temperature}, {super().extra_repr()}')
