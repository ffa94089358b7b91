# Copyright (c) mmlogitkd contributors. All rights reserved.
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from mmlogitkd.losses import BaseLogitLoss
from mmlogitkd.registry import MODELS


@MODELS.register_module()
class MultiTemperatureKDLoss(BaseLogitLoss):
    """KD averaged over several temperatures (MLKD's instance-level term).

    Jin et al., "Multi-Level Logit Distillation", CVPR 2023. Per row:
    ``mean_T T^2 * KL(softmax(t / T) || softmax(s / T))``.

    Args:
        temperatures (Sequence[float]): Defaults to ``(2, 3, 4, 5, 6)``.
        **kwargs: ``loss_weight``, ``reduction``, ``standardize`` of
            :class:`~mmlogitkd.losses.BaseLogitLoss`.
    """

    def __init__(self,
                 temperatures: Sequence[float] = (2, 3, 4, 5, 6),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if not temperatures or min(temperatures) <= 0:
            raise ValueError('temperatures must be positive, got '
                             f'{temperatures}')
        self.temperatures = tuple(float(t) for t in temperatures)

    def loss_per_row(self, student: Tensor, teacher: Tensor,
                     target: Optional[Tensor]) -> Tensor:
        """``[N, C]`` logits -> ``[N]``, all temperatures in one pass."""
        temps = student.new_tensor(self.temperatures)[:, None, None]
        log_p_s = F.log_softmax(student[None] / temps, dim=-1)  # [T, N, C]
        log_p_t = F.log_softmax(teacher[None] / temps, dim=-1)
        kl = (log_p_t.exp() * (log_p_t - log_p_s)).sum(-1)  # [T, N]
        return (kl * temps[:, :, 0]**2).mean(0)

    def extra_repr(self) -> str:
        return f'temperatures={self.temperatures}, {super().extra_repr()}'
