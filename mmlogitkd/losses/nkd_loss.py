# Copyright (c) mmlogitkd contributors. All rights reserved.
from typing import Optional

from torch import Tensor

from mmlogitkd.registry import MODELS
from .base import RowwiseLogitLoss, rowwise_loss
from .functional import nkd_loss


@MODELS.register_module()
class NKDLoss(RowwiseLogitLoss):
    """Normalized knowledge distillation (Yang et al., "From Knowledge
    Distillation to Self-Knowledge Distillation: A Unified Approach with
    Normalized Loss and Customized Soft Labels", ICCV 2023).

    Per row ``l_n = -p^t_y log p^s_y`` at temperature 1 plus
    ``-gamma * T^2 * sum_{j != y} q^t_j log q^s_j`` over the non-target
    classes (target column removed) at temperature T
    (:func:`~mmlogitkd.losses.functional.nkd_loss`); then the batch
    reduction. With ``standardize=True`` both terms see the standardized
    logits.

    Call: ``loss(student [N, C], teacher [N, C], target [N]) -> scalar``
    (``[N]`` for ``reduction='none'``); ``target`` is required and C >= 2.
    See :class:`RowwiseLogitLoss` for the shared arguments.

    Args:
        temperature (float): T of the non-target term. Defaults to 1.0.
        gamma (float): Non-target weight. Defaults to 1.5.
    """

    requires_target = True
    min_classes = 2

    def __init__(self,
                 temperature: float = 1.0,
                 gamma: float = 1.5,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if not temperature > 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.temperature = float(temperature)
        self.gamma = float(gamma)

    @rowwise_loss
    def forward(self, student: Tensor, teacher: Tensor,
                target: Optional[Tensor]) -> Tensor:
        """``[N]`` per-row NKD of prepared ``[N, C]`` logits (see
        :func:`~mmlogitkd.losses.rowwise_loss` for the call)."""
        return nkd_loss(student, teacher, target, self.temperature,
                        self.gamma)

    def extra_repr(self) -> str:
        return (f'temperature={self.temperature}, gamma={self.gamma}, '
                f'{super().extra_repr()}')
