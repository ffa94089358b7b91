# Copyright (c) mmlogitkd contributors. All rights reserved.
"""SKD's direction term (Jeong et al., CVPR 2026; ``SKD_loss`` of the
authors' ``HyunJunSik/StreamLined`` ``Distiller/SKD.py``) as one autograd
function with a written-out backward.

Written out because the term is the cost of SKD: autograd's graph of it
has 14 nodes (29 when 2C < N), and it takes four ``N x N x C`` products
at the ImageNet batch where three do here, nine of ``N x 2C x 2C`` at the
detection RoI batch where three and a half do
(``tools/analysis/benchmark_losses.py``; ``docs/en/user_guides/
benchmarks.md``). Both routes are tested against the official ``N x N``
form in float64 (value and gradient) and with ``gradcheck``.
"""
import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

__all__ = ['skd_direction_loss', 'direction_forward', 'direction_backward']

_NORM_EPS = 1e-12  # F.normalize's


def _inverse_norms(logits: Tensor):
    """``r = 1 / max(||z_i||, 1e-12)`` (``[N]``, ``F.normalize``'s
    divisor) and where the norm was not clamped (``[N]`` bool, where its
    gradient flows)."""
    norm = torch.linalg.vector_norm(logits, dim=1)
    return norm.clamp_min(_NORM_EPS).reciprocal(), norm >= _NORM_EPS


def _full_squares(student: Tensor, teacher: Tensor, tikhonov: float):
    """``m_i = D_i^T S^{-1} D_i`` (``[N]``) with ``D [N, N]`` formed.

    ``D = (U_s U_s^T - U_t U_t^T) / C`` with each Gram matrix of the
    L2-normalised rows taken from the raw logits' (``U U^T = (Z Z^T) *
    (r r^T)``, ``r = 1 / max(||z||, 1e-12)`` as ``F.normalize``): no
    ``[N, C]`` temporaries, whose memory traffic costs about as much as a
    product at the ImageNet batch. ``S = cov(D) + tikhonov I`` (columns of
    D over its rows, unbiased, the official ``torch.cov(diff.T)``) is
    factorised ``S = L L^T`` and ``m_i = ||L^{-1} D_i||^2`` (the official
    code inverts the factor, then an ``einsum``: the same values).

    Returns ``m`` and what :func:`_full_backward` needs.
    """
    N, C = student.shape
    inv_s, unclamped = _inverse_norms(student)
    inv_t, _ = _inverse_norms(teacher)
    outer_s = inv_s[:, None] * inv_s
    gram_s = (student @ student.T).mul_(outer_s)
    gram_t = (teacher @ teacher.T).mul_(inv_t[:, None] * inv_t)
    diff = (gram_s - gram_t).div_(C)
    centred = diff - diff.mean(0, keepdim=True)
    cov = (centred.T @ centred).div_(N - 1)
    cov.diagonal().add_(tikhonov)
    # unchecked: S is positive definite for tikhonov > 0, and the check of
    # torch.linalg.cholesky would read the device
    chol, _ = torch.linalg.cholesky_ex(cov)
    # D is symmetric: L^{-1} D holds L^{-1} D_i in its columns
    white = torch.linalg.solve_triangular(chol, diff, upper=False)
    return (white * white).sum(0), (student, inv_s, unclamped, outer_s,
                                    gram_s, centred, chol, white)


def _full_backward(g: Tensor, student: Tensor, inv_s: Tensor,
                   unclamped: Tensor, outer_s: Tensor, gram_s: Tensor,
                   centred: Tensor, chol: Tensor, white: Tensor) -> Tensor:
    """``dL/dZ_s`` (``[N, C]``) of :func:`_full_squares` for ``g = dL/dm``.

    With ``W = D S^{-1}`` (row i: ``S^{-1} D_i = L^{-T} L^{-1} D_i``):
    holding S, ``dm_i / dD_i = 2 W_i``; through S, ``dL/dS = -W^T diag(g)
    W`` and ``S = Dc^T Dc / (N - 1) + tikhonov I`` give ``dL/dDc = -2 Dc
    W^T diag(g) W / (N - 1)``, centred over the rows for ``dL/dD =:
    Gamma``. With ``Y = (Gamma + Gamma^T) / C``, ``U_s U_s^T = (Z Z^T) *
    (r r^T)`` gives ``dL/dZ_s = (Y * r r^T + diag(c)) Z_s``, ``c_i =
    -[||z_i|| >= 1e-12] r_i^2 sum_j (Y * U_s U_s^T)_ij``: the product and
    ``F.normalize``'s backward in one ``[N, N] x [N, C]`` product.
    """
    N, C = student.shape
    solved = torch.linalg.solve_triangular(chol.mT, white, upper=True)
    scaled = solved * g  # S^{-1} D diag(g) = (diag(g) W)^T
    through_cov = centred @ (scaled @ solved.T)
    through_cov = through_cov - through_cov.mean(0, keepdim=True)
    grad_diff = 2 * scaled.T - (2 / (N - 1)) * through_cov
    sym = (grad_diff + grad_diff.T).div_(C)
    radial = (sym * gram_s).sum(1) * inv_s * inv_s * unclamped
    lam = sym.mul_(outer_s)
    lam.diagonal().sub_(radial)
    return lam @ student


def _low_rank_squares(student: Tensor, teacher: Tensor, tikhonov: float):
    """``m_i = D_i^T S^{-1} D_i`` of :func:`_full_squares` (``[N]``)
    without forming D, for ``2C < N`` (D's rank is at most 2C).

    ``D = A B^T`` with ``A = [d, e]``, ``B = [e, d] / (2C)`` (``[N, 2C]``),
    ``d = U_s - U_t``, ``e = U_s + U_t`` (this split keeps ``m = 0`` exact
    where the student's rows are the teacher's: d is exactly 0). Centred
    over its rows D is ``A_c B^T``, so ``S = tikhonov I + B M B^T`` with
    ``M = A_c^T A_c / (N - 1)``, and the push-through identity
    ``S^{-1} B = B (tikhonov I + M P)^{-1}``, ``P = B^T B``, gives
    ``m_i = a_i^T F a_i`` with ``F = P K^{-1}``, ``K = tikhonov I + M P``:
    ``[2C, 2C]`` systems instead of ``[N, N]`` (the detection RoI batch:
    N = 1,024, 2C = 162). K is invertible for any B (the eigenvalues of
    ``M P``, a product of two positive semi-definite matrices, are >= 0);
    F is symmetric (``(tikhonov P^{-1} + M)^{-1}`` where P is invertible),
    so its symmetric part is used. ``P = Pi G Pi / (4 C^2)`` with
    ``G = A^T A = A_c^T A_c + N mu^T mu`` (mu the rows' mean of A) and
    ``Pi`` the swap of the two halves: one Gram product of A.

    Returns ``m`` and what :func:`_low_rank_backward` needs.
    """
    N, C = student.shape
    inv_s, unclamped = _inverse_norms(student)
    inv_t, _ = _inverse_norms(teacher)
    u_s, u_t = student * inv_s[:, None], teacher * inv_t[:, None]
    a = torch.cat((u_s - u_t, u_s + u_t), dim=1)
    mu = a.mean(0, keepdim=True)  # [1, 2C]
    centred = a - mu
    gram_c = centred.T @ centred
    moment = gram_c / (N - 1)  # M
    gram_b = (gram_c + N * (mu.T @ mu)).roll((C, C), (0, 1)).div_(4 * C * C)
    system = moment @ gram_b  # K
    system.diagonal().add_(tikhonov)
    # one factorisation for the forward's K^{-T} and the backward's K^{-1}
    lu, pivots, _ = torch.linalg.lu_factor_ex(system)
    form = torch.linalg.lu_solve(lu, pivots, gram_b, adjoint=True).T
    form = (form + form.T) / 2  # F = P K^{-1} = (K^{-T} P)^T
    a_form = a @ form
    return (a_form * a).sum(1), (u_s, inv_s, unclamped, a, centred, mu,
                                 moment, gram_b, lu, pivots, form, a_form)


def _low_rank_backward(g: Tensor, u_s: Tensor, inv_s: Tensor,
                       unclamped: Tensor, a: Tensor, centred: Tensor,
                       mu: Tensor, moment: Tensor, gram_b: Tensor,
                       lu: Tensor, pivots: Tensor, form: Tensor,
                       a_form: Tensor) -> Tensor:
    """``dL/dZ_s`` (``[N, C]``) of :func:`_low_rank_squares` for
    ``g = dL/dm``.

    ``m_i = a_i^T F a_i``: ``2 g_i F a_i`` holding F, and
    ``H = dL/dF = A^T diag(g) A``. ``F = P K^{-1}``, ``K = tikhonov I +
    M P``: ``dF = dP K^{-1} - F dK K^{-1}`` gives, with ``R = H K^{-T}``
    and ``Q = F^T R``, ``dL/dP = R - M^T Q`` and ``dL/dM = -Q P^T``.
    ``P = Pi G Pi / (4C^2)``, ``G = Gc + N mu^T mu``, ``M = Gc / (N - 1)``,
    ``Gc = A_c^T A_c``: ``Z = dL/dGc + dL/dGc^T`` reaches A through
    ``A_c Z`` (whose mean over the rows is 0, since A_c's is, so the
    centring adds nothing) and mu through ``N mu (dL/dG + dL/dG^T)``,
    ``1/N`` of it on each row. ``A = [U_s - U_t, U_s + U_t]``: the two
    halves of ``dL/dA`` summed, then ``F.normalize``'s backward.
    """
    N, C2 = a.shape
    C = C2 // 2
    weighted = a.T @ (a * g[:, None])  # H
    weighted = (weighted + weighted.T) / 2
    # H K^{-T} = (K^{-1} H)^T, H symmetric
    right = torch.linalg.lu_solve(lu, pivots, weighted).T
    q = form @ right  # F^T R (F symmetric)
    grad_gram_b = right - moment @ q
    grad_moment = -q @ gram_b
    grad_gram = grad_gram_b.roll((C, C), (0, 1)).div_(4 * C * C)
    grad_gram_c = grad_moment.div_(N - 1).add_(grad_gram)
    z = grad_gram_c + grad_gram_c.T
    y = grad_gram + grad_gram.T
    # only dL/dU_s is needed: sum the halves before the products
    grad_u = torch.addmm(mu @ (y[:, :C] + y[:, C:]), centred,
                         z[:, :C] + z[:, C:])
    grad_u += 2 * g[:, None] * (a_form[:, :C] + a_form[:, C:])
    # F.normalize: the radial part goes where the norm was not clamped
    radial = (grad_u * u_s).sum(1) * unclamped
    return (grad_u - u_s * radial[:, None]) * inv_s[:, None]


def direction_forward(student: Tensor, teacher: Tensor, tikhonov: float):
    """``L_dir`` of :func:`skd_direction_loss` (scalar) without autograd,
    whether it took the low-rank route, and the tensors
    :func:`direction_backward` needs.

    Args:
        student (Tensor): ``[N, C]``, N >= 2.
        teacher (Tensor): ``[N, C]``.
        tikhonov (float): > 0.
    """
    N, C = student.shape
    low_rank = 2 * C < N
    squares = _low_rank_squares if low_rank else _full_squares
    sq, saved = squares(student, teacher, tikhonov)
    dist = sq.clamp_min(0).sqrt()  # a rounding-negative square is 0
    return dist.mean(), low_rank, (dist, ) + saved


def direction_backward(grad: Tensor, low_rank: bool, dist: Tensor,
                       *saved: Tensor) -> Tensor:
    """``dL/dZ_s`` (``[N, C]``) of :func:`direction_forward` for
    ``grad = dL/dL_dir`` (0-d). A row with ``m_i = 0`` has zero gradient
    (``d sqrt(m) / dm`` is infinite there)."""
    N = dist.shape[0]
    # d mean(sqrt(m)) / dm_i = 1 / (2 N sqrt(m_i)); the inf of a zero row
    # is not selected
    g = torch.where(dist > 0, grad / (2 * N * dist), 0.0)
    backward = _low_rank_backward if low_rank else _full_backward
    return backward(g, *saved)


class _SKDDirection(torch.autograd.Function):
    """``L_dir`` of the student logits ``[N, C]`` (the teacher's are
    constants); see :func:`skd_direction_loss`."""

    @staticmethod
    def forward(ctx, student: Tensor, teacher: Tensor,
                tikhonov: float) -> Tensor:
        value, ctx.low_rank, saved = direction_forward(
            student, teacher, tikhonov)
        ctx.save_for_backward(*saved)
        return value

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor):
        return direction_backward(grad, ctx.low_rank,
                                  *ctx.saved_tensors), None, None


def skd_direction_loss(student: Tensor,
                       teacher: Tensor,
                       tikhonov: float = 0.1) -> Tensor:
    """SKD's direction term: the mean Mahalanobis norm of the rows of the
    difference of the two models' Gram matrices of L2-normalised logits.

    With ``u = z / max(||z||, 1e-12)`` per row (``F.normalize``),
    ``D = (U_s U_s^T - U_t U_t^T) / C`` (``[N, N]``),
    ``S = cov(D) + tikhonov * I`` (the ``[N, N]`` covariance of D's
    columns over its N rows, unbiased, the official
    ``torch.cov(diff.T)``)::

        L_dir = (1/N) sum_i sqrt(D_i^T S^{-1} D_i)

    When ``2C < N`` D has rank at most 2C and the squares come from
    ``[2C, 2C]`` systems (:func:`_low_rank_squares`: the same values,
    ``O(N C^2 + C^3)`` instead of ``O(N^3)``); otherwise S is solved
    through its Cholesky factor (:func:`_full_squares`; the official code
    takes ``cholesky_inverse`` of the factor, then an ``einsum``: the same
    value). The gradient flows through S as in the official code and is
    written out (:class:`_SKDDirection`). A row with ``D_i = 0``
    contributes 0 with zero gradient where the official ``sqrt`` gives a
    nan gradient.

    Args:
        student (Tensor): ``[N, C]`` student logits, N >= 2.
        teacher (Tensor): ``[N, C]`` teacher logits (no gradient).
        tikhonov (float): Added to the covariance's diagonal, > 0.
            Defaults to 0.1, the official value.

    Returns:
        Tensor: scalar.
    """
    return _SKDDirection.apply(student, teacher.detach(), float(tikhonov))
