# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Transformed teacher matching (Zheng and Yang, "Knowledge Distillation
Based on Transformed Teacher Matching", ICLR 2024; official code
``zkxufo/TTM``, ``distiller_zoo/ttm.py`` and ``distiller_zoo/wttm.py``):
the maths of TTM and of its sample-weighted form WTTM, and
:class:`TTMLoss`. :class:`~mmlogitkd.losses.WTTMLoss` is in
:mod:`~mmlogitkd.losses.wttm_loss`.
"""
import math
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from mmlogitkd.registry import MODELS
from .base import RowwiseLogitLoss, rowwise_loss

__all__ = [
    'TTMLoss', 'power_transform', 'ttm_loss', 'wttm_loss', 'check_power'
]


def check_power(power: float) -> float:
    """Return ``power`` (the official ``l``) as a float if it is finite and
    > 0, else raise a ``ValueError`` naming it."""
    if not (power > 0 and math.isfinite(power)):
        raise ValueError(f'power must be finite and > 0, got {power}')
    return float(power)


def power_transform(teacher: Tensor, power: float) -> Tuple[Tensor, Tensor]:
    """The power-transformed teacher of TTM, in log space.

    The official ``p_t = softmax(t)^l / sum_c softmax(t)_c^l`` is
    ``softmax(l * t)``; here ``a = l * log_softmax(t)``,
    ``log p_t = a - logsumexp(a)`` and the normaliser
    ``log Z = logsumexp(a) = log sum_c softmax(t)_c^l``, from one
    log-softmax. Equal to the official form in exact arithmetic, and it
    neither underflows nor loses the small probabilities where
    ``softmax(t)^l`` would.

    Args:
        teacher (Tensor): ``[N, C]`` teacher logits (detached here).
        power (float): ``l`` > 0.

    Returns:
        tuple[Tensor, Tensor]: ``log p_t [N, C]`` and ``log Z [N]``.
    """
    a = F.log_softmax(teacher.detach(), dim=1)
    if power != 1:
        a = a * power
    log_norm = torch.logsumexp(a, dim=1)
    return a - log_norm[:, None], log_norm


def _transformed_kl(student: Tensor, teacher: Tensor,
                    power: float) -> Tuple[Tensor, Tensor]:
    """``KL(p_t || softmax(s))`` per row (``[N]``) and ``log Z`` (``[N]``)
    of the power transform (:func:`power_transform`)."""
    log_pt, log_norm = power_transform(teacher, power)
    log_ps = F.log_softmax(student, dim=1)
    kl = F.kl_div(log_ps, log_pt, reduction='none', log_target=True).sum(1)
    return kl, log_norm


def ttm_loss(student: Tensor, teacher: Tensor, power: float = 1.0) -> Tensor:
    """TTM per row: ``KL(p_t || softmax(s))`` with ``p_t`` the
    power-transformed teacher (:func:`power_transform`), no temperature on
    the student and no ``T^2`` factor (official ``TTM.forward``).

    Args:
        student (Tensor): ``[N, C]`` student logits.
        teacher (Tensor): ``[N, C]`` teacher logits.
        power (float): ``l`` > 0. Defaults to 1.0.

    Returns:
        Tensor: ``[N]`` per-row loss.
    """
    return _transformed_kl(student, teacher, power)[0]


def wttm_loss(student: Tensor, teacher: Tensor, power: float = 1.0) -> Tensor:
    """WTTM per row: ``Z * KL(p_t || softmax(s))`` with
    ``Z = sum_c softmax(t)_c^l`` the normaliser of the power transform
    (:func:`power_transform`), a function of the teacher only (official
    ``WTTM.forward``). Arguments and result as :func:`ttm_loss`.
    """
    kl, log_norm = _transformed_kl(student, teacher, power)
    return log_norm.exp() * kl


@MODELS.register_module()
class TTMLoss(RowwiseLogitLoss):
    """Transformed teacher matching (TTM, ICLR 2024).

    Per row ``l_n = KL(p_t,n || softmax(s_n))`` with the power-transformed
    teacher ``p_t,n = softmax(t_n)^l / sum_c softmax(t_n)_c^l``
    (:func:`ttm_loss`), then the batch reduction (the official
    ``torch.mean`` over rows for ``reduction='mean'``). ``l`` is
    ``power``, the official ``--ttm_l`` (the paper's ``gamma``); ``l = 1``
    is KD at temperature 1.

    Follows ``zkxufo/TTM`` ``distiller_zoo/ttm.py`` (``TTM.forward``): a
    KL (``F.kl_div``, the teacher's entropy included), no eps, no ``T^2``
    factor. ``softmax(t)^l``, renormalised, is ``softmax(l * t)``: the
    transform is a teacher temperature of ``1 / l`` with the student at
    temperature 1, and that is the only temperature of the method, so
    there is no separate ``temperature`` argument. Departures from the
    official code: the transformed teacher is computed in log space
    (:func:`power_transform`), the same in exact arithmetic, finite where
    the official ``pow(softmax(t), l)`` underflows; the teacher is
    detached (the official code runs it under ``no_grad``).

    ``standardize=True`` (logit standardization, seed 002) standardizes
    both logits before the transform, i.e. before the teacher's temperature
    ``1 / l`` and the student's temperature 1; the official code has no
    such option, and no published TTM setting uses it.

    Call: ``loss(student [N, C], teacher [N, C], target [N] | None) ->
    scalar`` (``[N]`` for ``reduction='none'``); ``target`` is accepted and
    ignored. See :class:`RowwiseLogitLoss` for the shared arguments
    (``loss_weight``, ``reduction``, ``standardize``, ``weight``,
    ``avg_factor``).

    Args:
        power (float): ``l`` > 0, the exponent of the teacher's
            probabilities. Defaults to 1.0.
    """

    def __init__(self, power: float = 1.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.power = check_power(power)

    @rowwise_loss
    def forward(self, student: Tensor, teacher: Tensor,
                target: Optional[Tensor]) -> Tensor:
        """``[N]`` per-row TTM of prepared ``[N, C]`` logits (see
        :func:`~mmlogitkd.losses.rowwise_loss` for the call)."""
        return ttm_loss(student, teacher, self.power)

    def extra_repr(self) -> str:
        return f'power={self.power}, {super().extra_repr()}'
