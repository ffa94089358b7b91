# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Pure per-row logit distillation terms.

Every function takes student and teacher logits ``[N, C]`` and returns the
per-row loss ``[N]``; reduction, loss weight and logit standardization are
the registered modules' business, and so is checking the arguments (each
module checks its own when it is built), so these functions check none.
The teacher never receives gradient (it is detached here as well).
Notation: ``T`` is the temperature,
``KL(p || q) = sum_c p_c (log p_c - log q_c)``. "Removed" classes are taken
out of a softmax exactly: their logit is set to the most negative finite
value, so their probability is exactly 0 while every log-probability stays
finite (no ``0 * inf = nan``). The official codes subtract 1000 instead,
which is the same whenever the logits span less than ~700 T.
"""
import math
from typing import Optional, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import once_differentiable

from .soft_rank import soft_rank
from .topk import sorts_by_keys, topk_by_sort_keys

__all__ = [
    'standardize_logits', 'kd_loss', 'dkd_loss', 'nkd_loss',
    'ldrld_pair_weights', 'ldrld_loss', 'rank_align_loss'
]


def standardize_logits(logits: Tensor, eps: float = 1e-7) -> Tensor:
    """Logit standardization (Z-score) over the class axis.

    ``Z(z) = (z - mean(z)) / (std(z) + eps)`` with the *unbiased* standard
    deviation, as in Sun et al., "Logit Standardization in Knowledge
    Distillation", CVPR 2024 (seed 002). Applied to both teacher and student
    before the temperature.

    Args:
        logits (Tensor): ``[..., C]`` logits, C >= 2.
        eps (float): Added to the standard deviation. Defaults to 1e-7.

    Returns:
        Tensor: ``[..., C]`` standardized logits.
    """
    if logits.shape[-1] < 2:
        raise ValueError('standardize_logits needs at least 2 classes (the '
                         'unbiased std of one value is undefined), got '
                         f'logits of shape {tuple(logits.shape)}')
    centered = logits - logits.mean(dim=-1, keepdim=True)
    # the norm instead of torch.std: the same value (unbiased), but torch's
    # Welford std is ~20x slower on CPU
    std = torch.linalg.vector_norm(
        centered, dim=-1, keepdim=True) / math.sqrt(logits.shape[-1] - 1)
    return centered / (std + eps)


def kd_loss(student: Tensor,
            teacher: Tensor,
            temperature: Union[float, Tensor] = 4.0,
            teacher_eps: float = 0.0) -> Tensor:
    """Vanilla KD (Hinton et al., 2015) per row.

    ``T^2 * KL(softmax(t / T) || softmax(s / T))``; with ``teacher_eps``,
    ``T^2 * sum_c (p_c + eps) (log(p_c + eps) - log softmax(s / T)_c)``,
    ``p = softmax(t / T)`` (CTKD's instance-wise KL, the official README's
    ``KL_Loss``).

    Args:
        student (Tensor): ``[N, C]`` student logits.
        teacher (Tensor): ``[N, C]`` teacher logits.
        temperature (float | Tensor): T, or a tensor of shape ``[1]`` or
            ``[N, 1]`` (a learned temperature, which then gets gradient).
            Defaults to 4.0.
        teacher_eps (float): Added to the teacher probabilities.
            Defaults to 0.

    Returns:
        Tensor: ``[N]`` per-row loss.
    """
    T = temperature
    if teacher_eps:
        p_t = torch.softmax(teacher.detach() / T, dim=1) + teacher_eps
        log_ps = torch.log_softmax(student / T, dim=1)
        return (p_t * (p_t.log() - log_ps)).sum(1) * _squared(T)
    log_ps = F.log_softmax(student / T, dim=1)
    log_pt = F.log_softmax(teacher.detach() / T, dim=1)
    kl = F.kl_div(log_ps, log_pt, reduction='none', log_target=True)
    return kl.sum(1) * _squared(T)


def _remove_target(logits: Tensor, target: Tensor) -> Tensor:
    """Copy of ``logits`` whose ``target [N, 1]`` column is the most negative
    finite value: its softmax probability is exactly 0 (the column is
    removed), yet log-softmax stays finite, so ``0 * log 0`` terms are 0 and
    not nan."""
    return logits.scatter(1, target, torch.finfo(logits.dtype).min)


def _squared(temperature: Union[float, Tensor]) -> Union[float, Tensor]:
    """``T^2`` to scale a per-row ``[N]`` loss: a float, or a temperature
    tensor of shape ``[1]`` or ``[N, 1]`` (CTKD's learned temperature) ->
    ``[1]`` / ``[N]``."""
    if torch.is_tensor(temperature):
        return (temperature * temperature).reshape(-1)
    return temperature * temperature


def _lse_from_log_softmax(logits: Tensor, log_probs: Tensor,
                          column: Tensor) -> Tensor:
    """``logsumexp`` of the softmax behind ``log_probs``, read off one
    column: ``lse = z_j - log p_j`` (no extra pass over the classes)."""
    return (logits.gather(1, column) - log_probs.gather(1, column)).squeeze(1)


def dkd_loss(student: Tensor,
             teacher: Tensor,
             target: Tensor,
             alpha: float = 1.0,
             beta: float = 8.0,
             temperature: Union[float, Tensor] = 4.0) -> Tensor:
    """Decoupled KD (Zhao et al., "Decoupled Knowledge Distillation",
    CVPR 2022) per row: ``alpha * TCKD + beta * NCKD``.

    TCKD is the KL between the binary distributions ``[p_y, 1 - p_y]`` of
    teacher and student (``p = softmax(z / T)``); NCKD the KL between the
    softmaxes over the non-target classes only (target column removed); both
    times ``T^2``. ``log(1 - p_y)`` is computed as a log-sum-exp over the
    non-target classes, so it stays finite where the official
    ``log(softmax)`` form overflows. The warm-up is the distiller's job.

    Args:
        student (Tensor): ``[N, C]`` student logits, C >= 2.
        teacher (Tensor): ``[N, C]`` teacher logits.
        target (Tensor): ``[N]`` class indices.
        alpha (float): TCKD weight. Defaults to 1.0.
        beta (float): NCKD weight. Defaults to 8.0.
        temperature (float | Tensor): T, or a tensor of shape ``[1]`` or
            ``[N, 1]`` (a learned temperature). Defaults to 4.0.

    Returns:
        Tensor: ``[N]`` per-row loss.
    """
    T = temperature
    s = student / T
    t = teacher.detach() / T
    target = target.long()[:, None]
    other = (target + 1) % s.shape[1]  # any non-target column
    # NCKD: softmaxes over the non-target classes
    log_qs = F.log_softmax(_remove_target(s, target), dim=1)
    log_qt = F.log_softmax(_remove_target(t, target), dim=1)
    nckd = F.kl_div(log_qs, log_qt, reduction='none', log_target=True).sum(1)
    # TCKD: [p_y, 1 - p_y] with log(1 - p_y) = lse_{j != y} - lse_all
    lse_s_nt = _lse_from_log_softmax(s, log_qs, other)
    lse_t_nt = _lse_from_log_softmax(t, log_qt, other)
    s_y, t_y = s.gather(1, target).squeeze(1), t.gather(1, target).squeeze(1)
    lse_s = torch.logaddexp(lse_s_nt, s_y)
    lse_t = torch.logaddexp(lse_t_nt, t_y)
    log_bs = torch.stack((s_y - lse_s, lse_s_nt - lse_s), dim=1)
    log_bt = torch.stack((t_y - lse_t, lse_t_nt - lse_t), dim=1)
    tckd = F.kl_div(log_bs, log_bt, reduction='none', log_target=True).sum(1)
    return (alpha * tckd + beta * nckd) * _squared(T)


def nkd_loss(student: Tensor,
             teacher: Tensor,
             target: Tensor,
             temperature: float = 1.0,
             gamma: float = 1.5) -> Tensor:
    """Normalized KD (Yang et al., "From Knowledge Distillation to
    Self-Knowledge Distillation: A Unified Approach with Normalized Loss and
    Customized Soft Labels", ICCV 2023) per row, as in the official
    ``yzd-v/cls_KD`` code with the target column really removed.

    ``loss_t = -p^t_y * log p^s_y`` at temperature 1 (the teacher probability
    is a constant), plus
    ``loss_non = -gamma * T^2 * sum_{j != y} q^t_j * log q^s_j`` with ``q``
    the softmax at temperature T over the non-target classes.

    Args:
        student (Tensor): ``[N, C]`` student logits, C >= 2.
        teacher (Tensor): ``[N, C]`` teacher logits.
        target (Tensor): ``[N]`` class indices.
        temperature (float): T of the non-target term. Defaults to 1.0.
        gamma (float): Non-target weight. Defaults to 1.5.

    Returns:
        Tensor: ``[N]`` per-row loss.
    """
    T = temperature
    t = teacher.detach()
    target = target.long()[:, None]
    other = (target + 1) % student.shape[1]  # any non-target column
    s = student / T if T != 1 else student
    t_T = t / T if T != 1 else t
    log_qs = F.log_softmax(_remove_target(s, target), dim=1)
    log_qt = F.log_softmax(_remove_target(t_T, target), dim=1)
    # -sum q^t log q^s; the target column holds 0 * (finite) = 0
    loss_non = (log_qt.exp() * log_qs).sum(1) * (-gamma * T * T)
    # target term at temperature 1
    s_y = student.gather(1, target).squeeze(1)
    t_y = t.gather(1, target).squeeze(1)
    if T == 1:
        lse_s = torch.logaddexp(_lse_from_log_softmax(s, log_qs, other), s_y)
        lse_t = torch.logaddexp(_lse_from_log_softmax(t, log_qt, other), t_y)
    else:
        lse_s, lse_t = student.logsumexp(1), t.logsumexp(1)
    return loss_non - torch.exp(t_y - lse_t) * (s_y - lse_s)


def _ldrld_flat_index(source: Tensor, k: int) -> Tensor:
    """Positions of the top k of each row of ``source [N, C]`` (the
    ``torch.topk`` order) in the flattened ``[2, N, C]`` student-teacher
    stack of :class:`_LDRLDFunction`: ``[k * 2 * N]`` int64 in ``[k, 2, N]``
    order, one index for the gather, the removal and the gradient."""
    N, C = source.shape
    if sorts_by_keys(source, k):
        # class-major straight from the sort: no transposed copy
        offsets = np.arange(0, 2 * N * C, C, dtype=np.int64).reshape(2, N)
        flat = np.add(topk_by_sort_keys(source, k)[:, None], offsets)
        return torch.from_numpy(flat.reshape(-1))
    index = source.topk(k, dim=1).indices
    offsets = torch.arange(0, 2 * N * C, C, device=source.device).view(2, N)
    return (index.t()[:, None] + offsets).reshape(-1)


def ldrld_pair_weights(k: int,
                       gamma: float = 0.05,
                       dtype: torch.dtype = torch.float32,
                       device=None) -> Tuple[Tensor, Tensor]:
    """Adaptive Decay Weights of the LDRLD pair terms.

    For rank positions ``0 <= a < b < k`` (1-based ranks ``r = a + 1``,
    ``r' = b + 1``): ``ADW = IRW * ERD = 2 / (1.5 + |r - r'|) *
    exp(-gamma * (r + r'))``, pairs in ``itertools.combinations(range(k), 2)``
    order.

    Args:
        k (int): Number of top classes.
        gamma (float): Decay rate. Defaults to 0.05.

    Returns:
        tuple[Tensor, Tensor]: ``weight [P]`` and the incidence matrix
        ``[k, P]`` (+1 at ``a``, -1 at ``b`` of each pair), P = k(k-1)/2;
        ``z[:, :k] @ incidence`` gives every pair's logit difference.
    """
    a, b = torch.triu_indices(k, k, 1, device=device)
    rank_a, rank_b = (a + 1).double(), (b + 1).double()
    weight = 2.0 / (1.5 + (rank_b - rank_a)) * torch.exp(
        -gamma * (rank_a + rank_b))
    pairs = torch.arange(a.numel(), device=device)
    incidence = torch.zeros(k, a.numel(), dtype=torch.float64, device=device)
    incidence[a, pairs] = 1.0
    incidence[b, pairs] = -1.0
    return weight.to(dtype), incidence.to(dtype)


class _LDRLDFunction(torch.autograd.Function):
    """LDRLD terms with a hand-written gradient.

    Student and teacher share one ``[2, N, C]`` buffer; the top-k logits of
    both are gathered by one ``index_select`` into class-major ``[k, 2, N]``
    and all pair logit differences come out of one matmul with the pair
    incidence matrix; the RNTK softmaxes run on the same buffer with the top
    k removed in place; and the gradient (softmax differences, known in
    closed form) is formed in the same pass, so the backward is a single
    multiply. One autograd node instead of ~60.

    ``flat_index [k * 2 * N]`` holds the positions of the top-k logits in
    the flattened ``[2, N, C]`` stack, in ``[k, 2, N]`` order (student half
    first); see :func:`_ldrld_flat_index`.
    """

    @staticmethod
    def forward(ctx, student: Tensor, teacher: Tensor, flat_index: Tensor,
                pair_weight: Tensor, incidence: Tensor, temperature: float,
                alpha: float, beta: float) -> Tensor:
        T = temperature
        N, C = student.shape
        k, num_pairs = incidence.shape
        # student and teacher share every op below: one [2, N, C] tensor
        z = student.new_empty(2, N, C)
        torch.div(student, T, out=z[0])
        torch.div(teacher, T, out=z[1])
        # class-major [k, 2, N]: the reductions over the k classes and the
        # pair matmul then run along the long 2N axis
        zk = z.view(-1).index_select(0, flat_index).view(k, 2, N)

        # the saved gradient is divided by beta T, which the backward
        # multiplies in with grad_output: one pass over [N, C] less
        grad_scale = beta * T if k < C and beta != 0 else 1.0
        c_local = alpha / (num_pairs + 1)
        loss_scale, grad_k_scale = c_local * T * T, c_local * T / grad_scale
        # group term: k-class KL
        log_pk = zk.log_softmax(0)
        pk = zk.softmax(0)  # not log_pk.exp(): fewer threaded launches
        loss = (pk[:, 1] * (log_pk[:, 1] - log_pk[:, 0])).sum(0)
        grad_k = pk[:, 0] - pk[:, 1]
        if num_pairs:
            # 2-class KL of every pair from its logit difference d:
            # KL = logsig(d_t) - logsig(d_s) + (sig(d_t) - 1) (d_t - d_s),
            # d KL / d d_s = sig(d_s) - sig(d_t)
            diff = torch.mm(incidence.t(), zk.view(k, 2 * N)).view(
                num_pairs, 2, N)
            log_sig = F.logsigmoid(diff)
            sig = torch.sigmoid(diff)
            pair = torch.addcmul(log_sig[:, 1] - log_sig[:, 0],
                                 sig[:, 1] - 1, diff[:, 1] - diff[:, 0])
            loss = torch.addmv(
                loss, pair.t(), pair_weight, beta=loss_scale,
                alpha=loss_scale)
            grad_k = torch.addmm(
                grad_k, incidence * pair_weight, sig[:, 0] - sig[:, 1],
                beta=grad_k_scale, alpha=grad_k_scale)
        else:
            loss.mul_(loss_scale)
            grad_k.mul_(grad_k_scale)

        needs_grad = ctx.needs_input_grad[0]
        if k < C:
            # remove the top k: the most negative finite value gives them
            # probability exactly 0 while log-probabilities stay finite
            z.view(-1).index_fill_(0, flat_index, torch.finfo(z.dtype).min)
            # both fused kernels rather than exp(log_pc): torch.exp takes a
            # slow path on the removed classes' huge negative log-probs
            # (measured 2x its ~0.14 ms at N=1024, C=81)
            log_pc = z.log_softmax(2)
            pc = z.softmax(2)
            kl = log_pc[1].sub_(log_pc[0]).mul_(pc[1]).sum(1)
            loss.add_(kl, alpha=beta * T * T)
            if needs_grad:
                grad = pc[0].sub_(pc[1])
                if beta == 0:
                    grad.mul_(0.0)  # as beta * KL: 0, or nan from nan
        elif needs_grad:
            grad = z.new_zeros(N, C)
        if needs_grad:
            student_index = flat_index.view(k, 2, N)[:, 0].reshape(-1)
            grad.view(-1).index_copy_(0, student_index, grad_k.view(-1))
            ctx.save_for_backward(grad)
            ctx.grad_scale = grad_scale
        return loss

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output: Tensor):
        grad, = ctx.saved_tensors
        return (grad * (grad_output * ctx.grad_scale)[:, None], None, None,
                None, None, None, None, None)


def ldrld_loss(student: Tensor,
               teacher: Tensor,
               k: int = 7,
               temperature: float = 4.0,
               gamma: float = 0.05,
               alpha: float = 1.0,
               beta: float = 1.0,
               topk_from: str = 'student',
               pair_weight: Optional[Tensor] = None,
               incidence: Optional[Tensor] = None) -> Tensor:
    """Local Dense Relational Logit Distillation (Liu et al., ICCV 2025;
    seeds 000/001) per row: ``alpha * L_local + beta * L_RNTK``.

    Semantics of the official implementation (``distiller_zoo/LDRLD.py``):

    1. ``I`` = ``torch.topk(z, k, dim=1)`` indices of the student logits
       (``topk_from='teacher'``: of the teacher), so ties are ordered as
       torch orders them.
    2. Every pair of rank positions ``a < b`` gives the 2-class KL between
       teacher and student restricted to ``(I_a, I_b)``, weighted by the
       Adaptive Decay Weight (:func:`ldrld_pair_weights`); the group of all
       k classes gives the k-class KL with weight 1.
       ``L_local = (sum_pairs ADW * KL_pair + KL_group) / (C(k, 2) + 1)``.
    3. ``L_RNTK`` is the KL over the C - k classes outside ``I``.
    4. All KLs at temperature T and times ``T^2``.

    Differences from the official code, which masks with ``logit / T -
    1000``: removed classes are removed exactly (the same numbers whenever
    the logits span less than ~700 T, where ``exp(-1000)`` underflows); with
    ``k == C``, ``L_RNTK`` is 0 (there the official mask shifts every class
    and gives the full KD); with ``k == 2``, the group term keeps weight 1
    (the official ``len(...) == 2`` test gives it the pair's ADW). ``k = 1``
    leaves ``L_local = 0``.

    Args:
        student (Tensor): ``[N, C]`` student logits.
        teacher (Tensor): ``[N, C]`` teacher logits.
        k (int): Top classes, ``1 <= k <= C`` (not checked here:
            :class:`~mmlogitkd.losses.LDRLDLoss` checks its ``k`` when built
            and against C on every call). Defaults to 7.
        temperature (float): T. Defaults to 4.0.
        gamma (float): ADW decay. Defaults to 0.05.
        alpha (float): Weight of ``L_local``. Defaults to 1.0.
        beta (float): Weight of ``L_RNTK``. Defaults to 1.0.
        topk_from (str): ``'student'`` or ``'teacher'`` (any other value:
            the teacher).
        pair_weight, incidence (Tensor, optional): Precomputed
            :func:`ldrld_pair_weights` for this ``k`` and ``gamma``.

    Returns:
        Tensor: ``[N]`` per-row loss.
    """
    teacher = teacher.detach()
    source = student.detach() if topk_from == 'student' else teacher
    flat_index = _ldrld_flat_index(source, k)
    if pair_weight is None or incidence is None:
        pair_weight, incidence = ldrld_pair_weights(
            k, gamma, dtype=student.dtype, device=student.device)
    pair_weight = pair_weight.to(student.dtype)
    incidence = incidence.to(student.dtype)
    return _LDRLDFunction.apply(student, teacher, flat_index, pair_weight,
                                incidence, float(temperature), float(alpha),
                                float(beta))


# rank_align_loss ranks student and teacher in one [2N, C] soft_rank call
# (half the launches and host reads: always on a GPU), except for large CPU
# inputs, where two calls on [N, C] stay in cache (measured at (256, 1000):
# 26 vs 32 ms; at (64, 100): 1.5 vs 1.0 ms for the stack)
_RANK_STACK_MAX_NUMEL = 65536


def rank_align_loss(student: Tensor,
                    teacher: Tensor,
                    regularization_strength: float = 1.0,
                    mode: str = 'l2') -> Tensor:
    """Rank alignment (Lu et al., ICIC 2025; seed 003) per row.

    Soft ranks (:func:`soft_rank`, ascending, ``eps =
    regularization_strength``) of student and teacher logits, then

    - ``'l2'``: ``mean_c (r(s)_c - r(t)_c)^2`` (the paper's ``L_RA``);
    - ``'l1'``: ``mean_c |r(s)_c - r(t)_c|``;
    - ``'spearman'``: ``1 - Pearson(r(s), r(t))`` (0 correlation where a
      rank vector is constant, e.g. C = 1).

    Args:
        student (Tensor): ``[N, C]`` student logits.
        teacher (Tensor): ``[N, C]`` teacher logits.
        regularization_strength (float): eps of the soft rank.
        mode (str): ``'l2'``, ``'l1'`` or ``'spearman'`` (any other value:
            ``'spearman'``).

    Returns:
        Tensor: ``[N]`` per-row loss.
    """
    teacher = teacher.detach().to(student.dtype)
    if student.device.type != 'cpu' or \
            student.numel() <= _RANK_STACK_MAX_NUMEL:
        # one soft_rank call on the [2N, C] stack: half the kernel launches
        # and host reads of two calls; the teacher half gets no gradient
        ranks = soft_rank(torch.cat((student, teacher)),
                          regularization_strength)
        rank_s, rank_t = ranks[:len(student)], ranks[len(student):].detach()
    else:
        rank_s = soft_rank(student, regularization_strength)
        with torch.no_grad():
            rank_t = soft_rank(teacher, regularization_strength)
    if mode == 'l2':
        return (rank_s - rank_t).square().mean(1)
    if mode == 'l1':
        return (rank_s - rank_t).abs().mean(1)
    rank_s = rank_s - rank_s.mean(1, keepdim=True)
    rank_t = rank_t - rank_t.mean(1, keepdim=True)
    cov = (rank_s * rank_t).sum(1)
    var = rank_s.square().sum(1) * rank_t.square().sum(1)
    defined = var > 0
    # where, not an epsilon: rho is untouched wherever it is defined, and a
    # constant rank vector gets rho = 0 with a zero (not infinite) gradient
    rho = cov / torch.where(defined, var, 1.0).sqrt()
    return 1 - torch.where(defined, rho, 0.0)
