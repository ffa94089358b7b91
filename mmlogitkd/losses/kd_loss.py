# Copyright (c) mmlogitkd contributors. All rights reserved.
from typing import Optional

from torch import Tensor

from mmlogitkd.registry import MODELS
from .base import RowwiseLogitLoss, rowwise_loss
from .functional import kd_loss


@MODELS.register_module()
class KDLoss(RowwiseLogitLoss):
    """Vanilla knowledge distillation (Hinton et al., "Distilling the
    Knowledge in a Neural Network", 2015).

    Per row ``l_n = T^2 * KL(softmax(t_n / T) || softmax(s_n / T))``, then
    the batch reduction (:func:`~mmlogitkd.losses.functional.kd_loss`).

    Call: ``loss(student [N, C], teacher [N, C], target [N] | None) ->
    scalar`` (``[N]`` for ``reduction='none'``); ``target`` is accepted and
    ignored. See :class:`RowwiseLogitLoss` for the shared arguments
    (``loss_weight``, ``reduction``, ``standardize``, ``weight``,
    ``avg_factor``).

    Args:
        temperature (float): T. Defaults to 4.0.
    """

    def __init__(self, temperature: float = 4.0, **kwargs) -> None:
        super().__init__(**kwargs)
        if not temperature > 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.temperature = float(temperature)

    @rowwise_loss
    def forward(self, student: Tensor, teacher: Tensor,
                target: Optional[Tensor]) -> Tensor:
        """``[N]`` per-row KD of prepared ``[N, C]`` logits (see
        :func:`~mmlogitkd.losses.rowwise_loss` for the call)."""
        return kd_loss(student, teacher, self.temperature)

    def extra_repr(self) -> str:
        return f'temperature={self.temperature}, {super().extra_repr()}'
