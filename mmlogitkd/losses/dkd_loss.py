# Copyright (c) mmlogitkd contributors. All rights reserved.
from typing import Optional

from torch import Tensor

from mmlogitkd.registry import MODELS
from .base import RowwiseLogitLoss, rowwise_loss
from .functional import dkd_loss


@MODELS.register_module()
class DKDLoss(RowwiseLogitLoss):
    """Decoupled knowledge distillation (Zhao et al., "Decoupled Knowledge
    Distillation", CVPR 2022).

    Per row ``l_n = alpha * TCKD_n + beta * NCKD_n``, both at temperature T
    and times ``T^2``: TCKD the KL between the binary distributions
    ``[p_y, 1 - p_y]`` of teacher and student, NCKD the KL between their
    softmaxes over the non-target classes
    (:func:`~mmlogitkd.losses.functional.dkd_loss`); then the batch
    reduction. The linear warm-up of the paper is the distiller's
    ``distill_warmup``, not part of the loss.

    Call: ``loss(student [N, C], teacher [N, C], target [N]) -> scalar``
    (``[N]`` for ``reduction='none'``); ``target`` is required and C >= 2.
    See :class:`RowwiseLogitLoss` for the shared arguments.

    Args:
        alpha (float): Target-class (TCKD) weight. Defaults to 1.0.
        beta (float): Non-target-class (NCKD) weight. Defaults to 8.0.
        temperature (float): T. Defaults to 4.0.
    """

    requires_target = True
    min_classes = 2

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

    @rowwise_loss
    def forward(self, student: Tensor, teacher: Tensor,
                target: Optional[Tensor]) -> Tensor:
        """``[N]`` per-row DKD of prepared ``[N, C]`` logits (see
        :func:`~mmlogitkd.losses.rowwise_loss` for the call)."""
        return dkd_loss(student, teacher, target, self.alpha, self.beta,
                        self.temperature)

    def extra_repr(self) -> str:
        return (f'alpha={self.alpha}, beta={self.beta}, '
                f'temperature={self.temperature}, {super().extra_repr()}')
