# Copyright (c) mmlogitkd contributors. All rights reserved.
from typing import Optional

from torch import Tensor

from mmlogitkd.registry import MODELS
from .base import BaseLogitLoss
from .functional import kd_loss


@MODELS.register_module()
class KDLoss(BaseLogitLoss):
    """Vanilla knowledge distillation (Hinton et al., "Distilling the
    Knowledge in a Neural Network", 2015).

    ``T^2 * KL(softmax(t / T) || softmax(s / T))`` per row, batch mean.
    Call: ``loss(student [N, C], teacher [N, C], target=None)``; ``target``
    is accepted and ignored. See :class:`BaseLogitLoss` for the shared
    arguments (``loss_weight``, ``reduction``, ``standardize``, ``weight``,
    ``avg_factor``).

    Args:
        temperature (float): T. Defaults to 4.0.
    """

    def __init__(self, temperature: float = 4.0, **kwargs) -> None:
        super().__init__(**kwargs)
        if not temperature > 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.temperature = float(temperature)

    def loss_per_row(self, student: Tensor, teacher: Tensor,
                     target: Optional[Tensor]) -> Tensor:
        return kd_loss(student, teacher, self.temperature)

    def extra_repr(self) -> str:
        return f'temperature={self.temperature}, {super().extra_repr()}'
