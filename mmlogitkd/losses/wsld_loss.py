# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Weighted soft labels (Zhou et al., "Rethinking Soft Labels for Knowledge
Distillation: A Bias-Variance Tradeoff Perspective", ICLR 2021; official
code ``bellymonster/Weighted-Soft-Label-Distillation``,
``knowledge_distiller.py``): the maths and :class:`WSLDLoss`.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from mmlogitkd.registry import MODELS
from .base import rowwise_loss
from .kd_loss import KDLoss

__all__ = ['WSLDLoss', 'wsld_weights', 'wsld_loss']


def _target_nll(logits: Tensor, target: Tensor) -> Tensor:
    """``-log softmax(z)_y`` per row (``[N]``), from one log-sum-exp."""
    z_y = logits.gather(1, target[:, None]).squeeze(1)
    return torch.logsumexp(logits, dim=1) - z_y


def wsld_weights(student: Tensor,
                 teacher: Tensor,
                 target: Tensor,
                 eps: float = 1e-7) -> Tensor:
    """WSLD's per-row weights, a constant of the graph (both logits
    detached): ``w = 1 - exp(-max(ce_s / (ce_t + eps), 0))`` with
    ``ce = -log softmax(z)_y`` at temperature 1 (official ``focal_weight``).

    Args:
        student (Tensor): ``[N, C]`` student logits.
        teacher (Tensor): ``[N, C]`` teacher logits.
        target (Tensor): ``[N]`` class indices.
        eps (float): Added to the teacher's cross-entropy. Defaults to 1e-7.

    Returns:
        Tensor: ``[N]`` weights in ``[0, 1]``.
    """
    target = target.long()
    ce_s = _target_nll(student.detach(), target)
    ce_t = _target_nll(teacher.detach(), target)
    # the official clamp; a no-op, as both cross-entropies are >= 0
    ratio = (ce_s / (ce_t + eps)).clamp_min(0)
    # 1 - exp, not -expm1: the official rounding where the ratio is tiny
    return 1 - torch.exp(-ratio)


def wsld_loss(student: Tensor,
              teacher: Tensor,
              target: Tensor,
              temperature: float = 2.0) -> Tensor:
    """WSLD's soft term per row:
    ``T^2 * w * (-sum_c softmax(t / T)_c log softmax(s / T)_c)`` with
    ``w`` the weights of :func:`wsld_weights` (official
    ``WSLDistiller.forward`` without the hard loss and ``alpha``).

    Args:
        student (Tensor): ``[N, C]`` student logits.
        teacher (Tensor): ``[N, C]`` teacher logits.
        target (Tensor): ``[N]`` class indices.
        temperature (float): T. Defaults to 2.0.

    Returns:
        Tensor: ``[N]`` per-row loss.
    """
    T = temperature
    p_t = F.softmax(teacher.detach() / T, dim=1)
    log_ps = F.log_softmax(student / T, dim=1)
    soft_ce = -(p_t * log_ps).sum(1)
    return wsld_weights(student, teacher, target) * soft_ce * (T * T)


@MODELS.register_module()
class WSLDLoss(KDLoss):
    """Weighted soft label distillation (WSLD, ICLR 2021): the soft term.

    Per row ``l_n = T^2 * w_n * CE(softmax(t_n / T), softmax(s_n / T))``
    with the cross-entropy ``CE(p, q) = -sum_c p_c log q_c`` and the
    weight ``w_n = 1 - exp(-max(ce^s_n / (ce^t_n + 1e-7), 0))``,
    ``ce^m_n = -log softmax(m_n)_{y_n}`` at temperature 1, computed from
    detached logits (no gradient through ``w_n``) (:func:`wsld_loss`);
    then the batch reduction: the official ``T^2 * torch.mean(...)`` over
    rows is ``reduction='mean'`` of these rows, exactly.

    Follows ``bellymonster/Weighted-Soft-Label-Distillation``
    ``knowledge_distiller.py`` (``WSLDistiller.forward``; mmrazor's
    ``mmrazor/models/losses/weighted_soft_label_distillation.py`` ``WSLD``
    returns the same term times its ``loss_weight``). The soft term is a
    cross-entropy, as there, not a KL: its value exceeds the KL form by
    ``T^2 * w_n * H(softmax(t_n / T))``, a constant of the graph, so the
    gradient is that of the KL form and the loss is not 0 when student and
    teacher agree. ``T = 2`` is the official setting; its ``alpha = 2.5``
    is ``loss_weight`` here, and its hard cross-entropy is the task loss.

    Departures from the official code: the official takes
    ``sum_c onehot(y)_c * log softmax(z)_c`` with
    ``F.one_hot(y, num_classes=1000)`` (mmrazor: a ``num_classes``
    argument); here ``-log softmax(z)_y`` is read off the target's column
    (:func:`~mmlogitkd.losses.wsld_loss.wsld_weights`), which is the same
    number where the official code runs (``num_classes == C``), takes C from
    the logits (no ``num_classes`` argument) and gives no
    ``0 * (-inf) = nan`` where a log-probability underflows. The teacher is
    detached (the official code detaches it for the weights, and the
    teacher is frozen).

    ``standardize=True`` (logit standardization, seed 002) standardizes
    both logits before everything, the weights' temperature-1
    cross-entropies included; the official code has no such option.

    Call: ``loss(student [N, C], teacher [N, C], target [N]) -> scalar``
    (``[N]`` for ``reduction='none'``); ``target`` is required. See
    :class:`RowwiseLogitLoss` for the shared arguments (``loss_weight``,
    ``reduction``, ``standardize``, ``weight``, ``avg_factor``). Built on
    :class:`~mmlogitkd.losses.KDLoss` for its one argument: ``temperature``
    is checked, stored and shown as there; the maths (above) and the
    default differ.

    Args:
        temperature (float): T of the soft term. Defaults to 2.0.
    """

    requires_target = True

    def __init__(self, temperature: float = 2.0, **kwargs) -> None:
        super().__init__(temperature, **kwargs)

    @rowwise_loss
    def forward(self, student: Tensor, teacher: Tensor,
                target: Optional[Tensor]) -> Tensor:
        """``[N]`` per-row WSLD soft term of prepared ``[N, C]`` logits
        (see :func:`~mmlogitkd.losses.rowwise_loss` for the call)."""
        return wsld_loss(student, teacher, target, self.temperature)
