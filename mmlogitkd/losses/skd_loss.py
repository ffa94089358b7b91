# Copyright (c) mmlogitkd contributors. All rights reserved.
"""SKD: streamlined knowledge distillation (Jeong et al., CVPR 2026; the
authors' code ``HyunJunSik/StreamLined``, ``Distiller/SKD.py``)."""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import once_differentiable

from mmlogitkd.registry import MODELS
from .base import TermsBatchLoss, batch_loss
from .functional import standardize_logits
from .mlkd_loss import median_fraction
from .skd_direction import (
    direction_backward,
    direction_forward,
    skd_direction_loss,
)

__all__ = ['SKDLoss', 'skd_direction_loss', 'skd_terms']


class _SKDTerms(torch.autograd.Function):
    """SKD's two terms ``[2]`` with the KD term's gradient and the
    direction term's (:func:`~mmlogitkd.losses.skd_direction.
    direction_backward`) written out: one node in the graph where
    autograd's had 25 (40 when 2C < N), whose dispatch is most of SKD's
    time at the small batches.

    The KD term ``m * T^2 * mean_n KL(softmax(t_n / T) || softmax(s_n /
    T))`` has the gradient ``m * (T / N) * (softmax(s / T) - softmax(t /
    T))`` in its student logits.
    """

    @staticmethod
    def forward(ctx, student: Tensor, teacher: Tensor,
                kd_student: Optional[Tensor], kd_teacher: Optional[Tensor],
                temperature: float, tikhonov: float) -> Tensor:
        N = student.shape[0]
        T = temperature
        # the official masks: teacher confidence <= its median (numpy
        # percentile), per row and per class; each multiplies a batch
        # scalar, so it only scales it by the fraction it keeps
        p_t = torch.softmax(teacher, dim=1)
        mask = median_fraction(p_t.amax(dim=1))
        class_mask = median_fraction(p_t.sum(dim=0))
        separate = kd_student is not None
        if not separate:
            kd_student, kd_teacher = student, teacher
        log_ps = torch.log_softmax(kd_student / T, dim=1)
        log_pt = torch.log_softmax(kd_teacher / T, dim=1)
        kd = F.kl_div(log_ps, log_pt, reduction='sum', log_target=True)
        direction, ctx.low_rank, saved = direction_forward(
            student, teacher, tikhonov)
        ctx.temperature, ctx.separate = T, separate
        ctx.save_for_backward(log_ps, log_pt, mask, class_mask, *saved)
        return torch.stack((mask * (T * T / N) * kd, class_mask * direction))

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor):
        log_ps, log_pt, mask, class_mask, *saved = ctx.saved_tensors
        N = log_ps.shape[0]
        grad_kd = (log_ps.exp() - log_pt.exp()).mul_(
            grad[0] * mask * (ctx.temperature / N))
        grad_dir = direction_backward(grad[1] * class_mask, ctx.low_rank,
                                      *saved)
        if ctx.separate:
            return grad_dir, None, grad_kd, None, None, None
        return grad_dir.add_(grad_kd), None, None, None, None, None


def skd_terms(student: Tensor,
              teacher: Tensor,
              temperature: float = 4.0,
              tikhonov: float = 0.1,
              standardize: bool = False) -> Tensor:
    """SKD's two terms with the authors' confidence factors (see
    :class:`SKDLoss` for the equations).

    Args:
        student (Tensor): ``[N, C]`` student logits, N >= 2.
        teacher (Tensor): ``[N, C]`` teacher logits (detached here).
        temperature (float): T of the KD term. Defaults to 4.0.
        tikhonov (float): See :func:`skd_direction_loss`. Defaults to 0.1.
        standardize (bool): Standardize the logits of the KD term.

    Returns:
        Tensor: ``[2]``: the KD term ``m * KD_T`` and the direction term
        ``m_c * L_dir``.
    """
    teacher = teacher.detach()
    kd_student = kd_teacher = None
    if standardize:
        kd_student = standardize_logits(student)
        kd_teacher = standardize_logits(teacher)
    return _SKDTerms.apply(student, teacher, kd_student, kd_teacher,
                           float(temperature), float(tikhonov))


@MODELS.register_module()
class SKDLoss(TermsBatchLoss):
    """Streamlined knowledge distillation: a confidence-scaled KD term and
    a Mahalanobis direction term on the batch's Gram matrices.

    Call: ``loss(student [N, C], teacher [N, C], target [N] | None) ->
    scalar``; N >= 2; ``target`` is accepted and ignored (neither term
    reads it; the cross-entropy that does is the task loss's). A
    batch-level loss (:class:`BatchLogitLoss`): the direction term's
    covariance spans the rows, so ``weight``, ``avg_factor`` and
    ``reduction='none'`` are refused. The two terms of the last call
    (confidence fractions included) are logged as ``kd`` and ``direction``
    (:class:`~mmlogitkd.losses.mlkd_loss.TermsBatchLoss`).

    With ``p = softmax(t)`` the teacher's probabilities at T = 1,
    ``m`` the fraction of rows whose ``max_c p`` is at or below its median
    and ``m_c`` the fraction of classes whose column sum ``sum_n p`` is at
    or below its median (numpy's ``percentile(., 50)``;
    :func:`~mmlogitkd.losses.mlkd_loss.median_fraction`)::

        L = m * T^2 * (1/N) sum_n KL(softmax(t_n / T) || softmax(s_n / T))
          + m_c * (1/N) sum_i sqrt(D_i^T (cov(D) + tikhonov I)^{-1} D_i)

    with ``D = (U_s U_s^T - U_t U_t^T) / C`` (``[N, N]``), ``U`` the
    L2-normalised logits (:func:`skd_direction_loss`), times
    ``loss_weight``.

    Follows the authors' ``SKD.forward_train`` and ``SKD_loss`` of
    ``HyunJunSik/StreamLined`` ``Distiller/SKD.py`` (the same maths as the
    repository's ``mdistiller/distillers/SKD.py``): ``loss_kd + loss_bc``
    with their ``kd`` weight as ``loss_weight`` (default 0.9 with ``ce``
    0.1 in ``Distiller/SKD.py``, 0.5 / 0.5 in the mdistiller copy). The
    official masks ``confidence <= median`` multiply already batch-averaged
    scalars (``(kd_loss(...) * mask).mean()``), so each only scales its
    term by the fraction it keeps, as here (the masks are computed on the
    device, without the official numpy round trip). The Gram matrices are
    divided by C, the covariance is ``torch.cov`` (unbiased) of the
    columns, the direction term is taken on the raw logits (no
    temperature), and gradient flows through the covariance as in the
    official code. Left out: ``loss_ce`` (the task loss's).

    torchdistill's ``SKDInstanceLoss`` + ``SKDDirectionLoss``
    (``torchdistill/losses/mid_level.py``; sample config
    ``configs/sample/ilsvrc2012/skd/resnet18_from_resnet34.yaml``, weights
    1 and 1, no cross-entropy) compute a different objective: the KD term
    without the ``T^2`` factor, neither term scaled by the confidence
    fractions, and the Gram matrices not divided by C: D is C times the
    authors', so its direction term is the authors' with ``tikhonov / C^2``
    (the Mahalanobis norm is otherwise invariant to the scale of D).

    Departures: ``standardize=True`` applies logit standardization
    (seed 002) to the KD term's logits only (its temperature term; not in
    the authors' code); the confidence fractions and the direction term
    always read the raw logits. A row with ``D_i = 0`` has zero gradient
    (nan in the official code). ``tikhonov * I`` is added in the logits'
    dtype (the official identity has the default dtype, float32, which
    rounds ``tikhonov`` in a float64 run; the same in float32 training).
    N < 2 raises a ``ValueError`` (the covariance of one row is undefined:
    nan, then an error from the Cholesky factorisation, in the official
    code).

    Args:
        temperature (float): T of the KD term. Defaults to 4.0 (official).
        tikhonov (float): Tikhonov regularisation added to the direction
            term's covariance, > 0. Defaults to 0.1 (official).
        **kwargs: ``loss_weight`` and ``standardize`` of
            :class:`BatchLogitLoss`.
    """

    term_names = ('kd', 'direction')

    def __init__(self,
                 temperature: float = 4.0,
                 tikhonov: float = 0.1,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if not temperature > 0:
            raise ValueError(f'SKDLoss temperature must be > 0, got '
                             f'{temperature}')
        if not tikhonov > 0:
            raise ValueError(
                'SKDLoss tikhonov must be > 0 (it makes the direction '
                f"term's covariance positive definite), got {tikhonov}")
        self.temperature = float(temperature)
        self.tikhonov = float(tikhonov)

    @batch_loss
    def forward(self, student: Tensor, teacher: Tensor,
                target: Optional[Tensor]) -> Tensor:
        """Scalar SKD (before ``loss_weight``) of prepared ``[N, C]``
        logits (see :func:`~mmlogitkd.losses.batch_loss` for the call)."""
        self.check_rows(student,
                        'its direction term is a covariance over the batch')
        terms = self.keep_terms(
            skd_terms(student, teacher, self.temperature, self.tikhonov,
                      self.standardize))
        return terms.sum()

    def extra_repr(self) -> str:
        return (f'temperature={self.temperature}, tikhonov={self.tikhonov}, '
                f'{super().extra_repr()}')
