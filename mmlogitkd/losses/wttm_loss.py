# Copyright (c) mmlogitkd contributors. All rights reserved.
from typing import Optional

from torch import Tensor

from mmlogitkd.registry import MODELS
from .base import rowwise_loss
from .ttm_loss import TTMLoss, wttm_loss


@MODELS.register_module()
class WTTMLoss(TTMLoss):
    """Weighted transformed teacher matching (WTTM, ICLR 2024): TTM with a
    per-sample weight.

    Per row ``l_n = Z_n * KL(p_t,n || softmax(s_n))`` with
    ``Z_n = sum_c softmax(t_n)_c^l`` and the power-transformed teacher
    ``p_t,n = softmax(t_n)^l / Z_n`` (:class:`~mmlogitkd.losses.TTMLoss`;
    :func:`~mmlogitkd.losses.ttm_loss.wttm_loss`), then the batch
    reduction (the official ``torch.mean(norm * KL)`` for
    ``reduction='mean'``). ``l`` is ``power``, the official ``--ttm_l``
    (the paper's ``gamma``). For ``l < 1``, ``Z_n >= 1`` and grows as the
    teacher's distribution flattens; ``l = 1`` gives ``Z_n = 1``, KD at
    temperature 1.

    Follows ``zkxufo/TTM`` ``distiller_zoo/wttm.py`` (``WTTM.forward``): a
    KL (``F.kl_div``, the teacher's entropy included), no eps, no ``T^2``
    factor, the weight ``Z_n`` used as it is (not normalised over the
    batch). As in TTM, the transform is a teacher temperature of ``1 / l``
    with the student at temperature 1, the method's only temperature.
    Departures from the official code: the transformed teacher and
    ``log Z_n`` are computed in log space
    (:func:`~mmlogitkd.losses.ttm_loss.power_transform`), the same in
    exact arithmetic, finite where ``pow(softmax(t), l)`` underflows; the
    teacher, hence ``Z_n``, is detached (the official code runs the teacher
    under ``no_grad``).

    ``standardize=True`` (logit standardization, seed 002) standardizes
    both logits before the transform, so ``Z_n`` comes from the
    standardized teacher too; the official code has no such option.

    The call and the arguments (``power``, checked and shown the same way)
    are :class:`~mmlogitkd.losses.TTMLoss`'s; only the maths differs.
    """

    @rowwise_loss
    def forward(self, student: Tensor, teacher: Tensor,
                target: Optional[Tensor]) -> Tensor:
        """``[N]`` per-row WTTM of prepared ``[N, C]`` logits (see
        :func:`~mmlogitkd.losses.rowwise_loss` for the call)."""
        return wttm_loss(student, teacher, self.power)
