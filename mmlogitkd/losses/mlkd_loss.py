# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Multi-level logit distillation (Jin et al., "Multi-Level Logit
Distillation", CVPR 2023; official code
``Jin-Ying/Multi-Level-Logit-Distillation``,
``mdistiller/distillers/KD_ours.py``; with logit standardization:
``sunshangquan/logit-standardization-KD``, ``mdistiller/distillers/MLKD.py``).
"""
import math
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from mmlogitkd.registry import MODELS
from .base import TermsBatchLoss, batch_loss
from .functional import standardize_logits

__all__ = [
    'MLKDLoss', 'TermsBatchLoss', 'mlkd_terms', 'median_fraction',
    'multi_temperature_kd', 'gram_losses'
]


def median_fraction(values: Tensor) -> Tensor:
    """Fraction of ``values [M]`` at or below their median.

    The official masks are ``values <= np.percentile(values, 50)``
    (numpy's linear interpolation), and the masked terms are scalars, so a
    mask only scales its term by this fraction (1/2 for an even M of
    distinct values, (M + 1) / (2M) for an odd M, more with ties at the
    median). Computed on the device: a sort and numpy's interpolation
    formula at host-known positions, no host read.

    Args:
        values (Tensor): ``[M]``, M >= 1.

    Returns:
        Tensor: scalar in ``(0, 1]``.
    """
    M = values.shape[0]
    ordered = values.sort().values
    pos = 0.5 * (M - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    a, b, t = ordered[lo], ordered[hi], pos - lo
    # numpy's _lerp: a + (b - a) t, from the upper end where t >= 0.5
    thresh = b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t
    return (values <= thresh).to(values.dtype).mean()


def multi_temperature_kd(student: Tensor, teacher: Tensor,
                         temperatures: Tensor) -> Tensor:
    """KD at several temperatures at once, batch means.

    ``T^2 * mean_n KL(softmax(t_n / T) || softmax(s_n / T))`` for each T.

    Args:
        student (Tensor): ``[K, N, C]`` student logits (one slice per
            term, so terms may mix views).
        teacher (Tensor): ``[K, N, C]`` teacher logits.
        temperatures (Tensor): ``[K]``.

    Returns:
        Tensor: ``[K]``.
    """
    T = temperatures[:, None, None]
    log_ps = F.log_softmax(student / T, dim=-1)
    log_pt = F.log_softmax(teacher / T, dim=-1)
    kl = F.kl_div(log_ps, log_pt, reduction='none', log_target=True)
    return kl.sum(-1).mean(-1) * temperatures.square()


def gram_losses(student: Tensor, teacher: Tensor,
                temperatures: Tensor) -> Tensor:
    """MLKD's batch- and class-level terms at several temperatures.

    With ``P = softmax(z / T)`` (``[N, C]``): batch level
    ``||P_t P_t^T - P_s P_s^T||_F^2 / N`` (official ``bc_loss``), class
    level ``||P_t^T P_t - P_s^T P_s||_F^2 / C`` (official ``cc_loss``).

    Args:
        student (Tensor): ``[N, C]`` student logits.
        teacher (Tensor): ``[N, C]`` teacher logits.
        temperatures (Tensor): ``[K]``.

    Returns:
        Tensor: ``[2, K]``: batch-level terms, class-level terms.
    """
    N, C = student.shape
    T = temperatures[:, None, None]
    p_s = F.softmax(student[None] / T, dim=-1)  # [K, N, C]
    p_t = F.softmax(teacher[None] / T, dim=-1)
    batch_s = torch.bmm(p_s, p_s.transpose(1, 2))  # [K, N, N]
    batch_t = torch.bmm(p_t, p_t.transpose(1, 2))
    class_s = torch.bmm(p_s.transpose(1, 2), p_s)  # [K, C, C]
    class_t = torch.bmm(p_t.transpose(1, 2), p_t)
    bc = (batch_t - batch_s).square().sum((1, 2)) / N
    cc = (class_t - class_s).square().sum((1, 2)) / C
    return torch.stack((bc, cc))


def mlkd_terms(student: Tensor,
               teacher: Tensor,
               temperatures: Sequence[float] = (4., 3., 5., 2., 6.),
               strong_temperatures: Sequence[float] = (4., 3., 5.),
               extra_weak_temperatures: Sequence[float] = (2., 6.),
               confidence_mask: bool = True,
               standardize: bool = False,
               standardize_all_levels: bool = False) -> Tensor:
    """The three levels of MLKD on a weak and a strong view (see
    :class:`MLKDLoss` for the equations and the official code).

    Args:
        student (Tensor): ``[2N, C]`` student logits, rows ``[0, N)`` the
            weak view, rows ``[N, 2N)`` the strong view of the same images.
        teacher (Tensor): ``[2N, C]`` teacher logits, the same layout.
        temperatures (Sequence[float]): Weak-view temperatures of all three
            levels (at least one).
        strong_temperatures (Sequence[float]): Strong-view instance
            temperatures.
        extra_weak_temperatures (Sequence[float]): Unmasked weak-view
            instance temperatures.
        confidence_mask (bool): Scale the masked terms by the kept fraction
            (:func:`median_fraction`).
        standardize (bool): Standardize the logits of the instance level.
        standardize_all_levels (bool): With ``standardize``, the batch and
            class levels too.

    Returns:
        Tensor: ``[3]``: the instance, batch and class levels.
    """
    N = student.shape[0] // 2
    s_weak, s_strong = student[:N], student[N:]
    t_weak, t_strong = teacher[:N], teacher[N:]
    if confidence_mask:
        p_t = F.softmax(t_weak, dim=1)
        mask = median_fraction(p_t.max(dim=1).values)
        class_mask = median_fraction(p_t.sum(dim=0))
    else:
        mask = class_mask = student.new_ones(())

    # instance level: every (view, T) term in one [K, N, C] stack
    z_s_weak, z_t_weak = s_weak, t_weak
    z_s_strong, z_t_strong = s_strong, t_strong
    if standardize:
        z_s_weak, z_t_weak = standardize_logits(s_weak), standardize_logits(
            t_weak)
        z_s_strong, z_t_strong = standardize_logits(
            s_strong), standardize_logits(t_strong)
    temperatures = tuple(temperatures)
    strong_temperatures = tuple(strong_temperatures)
    extra_weak_temperatures = tuple(extra_weak_temperatures)
    k_w, k_s, k_e = (len(temperatures), len(strong_temperatures),
                     len(extra_weak_temperatures))
    N, C = s_weak.shape

    def stack(weak: Tensor, strong: Tensor) -> Tensor:
        return torch.cat((weak.expand(k_w, N, C), strong.expand(k_s, N, C),
                          weak.expand(k_e, N, C)))

    temps = student.new_tensor(temperatures + strong_temperatures +
                               extra_weak_temperatures)
    kd = multi_temperature_kd(stack(z_s_weak, z_s_strong),
                              stack(z_t_weak, z_t_strong), temps)
    instance = mask * kd[:k_w].sum() + kd[k_w:].sum()

    # batch and class levels, weak view
    if standardize and standardize_all_levels:
        g_s, g_t = z_s_weak, z_t_weak
    else:
        g_s, g_t = s_weak, t_weak
    bc, cc = gram_losses(g_s, g_t, temps[:k_w]).sum(1)
    return torch.stack((instance, mask * bc, class_mask * cc))


def _temperatures(values: Sequence[float], name: str) -> tuple:
    values = tuple(float(t) for t in values)
    if any(not t > 0 for t in values):
        raise ValueError(f'MLKDLoss {name} must be positive, got {values}')
    return values


@MODELS.register_module()
class MLKDLoss(TermsBatchLoss):
    """Multi-level logit distillation on a weak and a strong view.

    Call: ``loss(student [2N, C], teacher [2N, C], target [2N] | None) ->
    scalar``, the views stacked on the batch axis: rows ``[0, N)`` are the
    weak view of N images, rows ``[N, 2N)`` the strong view of the same
    images, in the same order (what
    :class:`~mmlogitkd.distillers.MultiViewClsDistiller` gives); C >= 2;
    ``target`` is accepted and ignored. A batch-level loss
    (:class:`BatchLogitLoss`): the batch- and class-level terms are not
    per-row, so ``weight``, ``avg_factor`` and ``reduction='none'`` are
    refused. The student's cross-entropy on both views is the distiller's.

    Exactly the official ``KD_ours.forward_train`` (l.89-255; LS's
    ``MLKD.py`` l.97-273 is the same with standardization), with
    ``w = loss_weight`` (official ``KD_WEIGHT``), the temperatures
    ``temperatures = (T0, 3, 5, 2, 6)`` (``T0`` = ``KD.TEMPERATURE``: 4,
    or LS's base temperature 2), ``m`` and ``m_c`` the teacher's confidence
    masks reduced to fractions (:func:`median_fraction` of the weak view's
    max softmax probability per image, and of its column sums per class):

    - instance level, ``w * (m * sum_{T in temperatures} KD_T(weak) +
      sum_{T in strong_temperatures} KD_T(strong) + sum_{T in
      extra_weak_temperatures} KD_T(weak))``: the official
      ``loss_kd_weak + loss_kd_strong``, whose last two terms (T = 2, 6)
      read the *weak* logits, unmasked (defaults
      ``strong_temperatures=(T0, 3, 5)``,
      ``extra_weak_temperatures=(2, 6)``); ``KD_T`` is
      ``T^2 * batchmean KL``;
    - batch level, ``w * m * sum_T ||B_t - B_s||^2 / N`` on the weak view,
      ``B = P P^T`` (official ``loss_bc_weak``);
    - class level, ``w * m_c * sum_T ||G_t - G_s||^2 / C`` on the weak
      view, ``G = P^T P`` (official ``loss_cc_weak``).

    The official code also computes ``loss_cc_strong`` and
    ``loss_bc_strong`` but never adds them to the loss; they are left out.
    The masks are ``confidence <= median`` (low-confidence rows), but each
    multiplies an already batch-averaged scalar, so it only scales the term
    by the fraction of rows / classes it keeps (about 1/2), as here.

    ``standardize=True`` (MLKD + LS, seed 002) Z-scores the logits of the
    instance-level terms only, as the official LS code does
    (``kd_loss(..., logit_stand=...)``; ``cc_loss`` and ``bc_loss`` get raw
    logits); ``standardize_all_levels=True`` also standardizes the batch-
    and class-level softmaxes (the LS supplement's wording: "we apply our
    pre-process in the softmax of the levels"). The confidence masks always
    come from the raw teacher logits at T = 1.

    Args:
        temperatures (Sequence[float]): Weak-view temperatures of all three
            levels. Defaults to ``(4, 3, 5, 2, 6)``.
        strong_temperatures (Sequence[float]): Strong-view instance
            temperatures. Defaults to ``(4, 3, 5)``.
        extra_weak_temperatures (Sequence[float]): Unmasked weak-view
            instance temperatures. Defaults to ``(2, 6)``.
        instance_weight, batch_weight, class_weight (float): Multipliers
            of the three levels (all 1 in the official code; 0 drops a
            level, for ablations).
        confidence_mask (bool): Scale the masked terms by the kept
            fraction, as the official code. Defaults to True.
        standardize_all_levels (bool): See above. Defaults to False.
        **kwargs: ``loss_weight`` and ``standardize`` of
            :class:`BatchLogitLoss`.
    """

    min_classes = 2
    term_names = ('instance', 'batch', 'class')

    def __init__(self,
                 temperatures: Sequence[float] = (4., 3., 5., 2., 6.),
                 strong_temperatures: Sequence[float] = (4., 3., 5.),
                 extra_weak_temperatures: Sequence[float] = (2., 6.),
                 instance_weight: float = 1.0,
                 batch_weight: float = 1.0,
                 class_weight: float = 1.0,
                 confidence_mask: bool = True,
                 standardize_all_levels: bool = False,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.temperatures = _temperatures(temperatures, 'temperatures')
        if not self.temperatures:
            raise ValueError('MLKDLoss needs at least one temperature')
        self.strong_temperatures = _temperatures(strong_temperatures,
                                                 'strong_temperatures')
        self.extra_weak_temperatures = _temperatures(
            extra_weak_temperatures, 'extra_weak_temperatures')
        self.instance_weight = float(instance_weight)
        self.batch_weight = float(batch_weight)
        self.class_weight = float(class_weight)
        self.confidence_mask = bool(confidence_mask)
        self.standardize_all_levels = bool(standardize_all_levels)

    @batch_loss
    def forward(self, student: Tensor, teacher: Tensor,
                target: Optional[Tensor]) -> Tensor:
        """Scalar MLKD (before ``loss_weight``) of prepared ``[2N, C]``
        logits (see :func:`~mmlogitkd.losses.batch_loss` for the call)."""
        if student.shape[0] % 2:
            raise ValueError(
                'MLKDLoss needs the weak and the strong view of each image '
                'stacked on the batch axis ([2N, C]: weak rows, then strong '
                f'rows), got logits of shape {tuple(student.shape)} '
                '(an odd number of rows). Use MultiViewClsDistiller with a '
                'two-view pipeline.')
        terms = self.keep_terms(
            mlkd_terms(student, teacher, self.temperatures,
                       self.strong_temperatures, self.extra_weak_temperatures,
                       self.confidence_mask, self.standardize,
                       self.standardize_all_levels))
        return (self.instance_weight * terms[0] +
                self.batch_weight * terms[1] + self.class_weight * terms[2])

    def extra_repr(self) -> str:
        return (f'temperatures={self.temperatures}, strong_temperatures='
                f'{self.strong_temperatures}, extra_weak_temperatures='
                f'{self.extra_weak_temperatures}, standardize_all_levels='
                f'{self.standardize_all_levels}, {super().extra_repr()}')
