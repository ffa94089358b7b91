# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Differentiable soft ranks (Blondel et al., "Fast Differentiable Sorting
and Ranking", ICML 2020), the ``l2`` form of ``torchsort.soft_rank``.

``soft_rank(x, eps)`` is the Euclidean projection of ``theta = x / eps`` onto
the permutahedron of ``w = (n, n - 1, ..., 1)``. With ``s`` the ascending
sort of ``theta`` it is ``s - v`` (scattered back to the input order), where
``v`` is the increasing isotonic regression of ``y = s - (1, 2, ..., n)``;
this is torchsort's descending formulation read backwards. ``v`` is constant
on blocks and equals the block mean of ``y``, so the Jacobian of ``s - v``
is ``I`` minus block averaging: the backward pass is O(n) per row.

The isotonic regression is computed for all rows at once, without any loop
over rows or positions, as the slopes of the lower convex hull of the
cumulative sums ``(j, S_j)``, ``S_j = y_1 + ... + y_j`` (greatest convex
minorant). Point ``j`` is dropped as soon as a witness proves it is no hull
vertex (it lies on or above the chord of its current neighbours: exactly a
pool-adjacent-violators merge, equal means included), and the points
farthest below each chord between known vertices are confirmed as vertices
(one quickhull step); the candidates are compacted after every round. A
round costs O(N n) memory and time; realistic logits need 1 to 4 rounds.

Host synchronisation (what a GPU waits for): the rounds run in batches of
1, 2, 4, ... rounds without reading anything back; one host read after each
batch decides whether another is needed, and one read after the first pass
sizes the candidate buffers (usually a small fraction of n wide). That is 2
reads per call for logits (1 when everything pools into one block, 3-4 for
near-hard ranks, eps ~ 0.1), at most ``1 + ceil(log2(n))`` for any input (8
at n = 100, 11 at n = 1000): every round that is not final drops a
candidate. A round applied to a finished hull changes nothing. The sort is
``torch.sort`` on every device but the CPU, where numpy's SIMD argsort of
the host tensor is 3-6x faster (and no sync: the memory is the host's).

Precision: float64 inputs are computed in float64, every other dtype in
float32. ``S_j`` itself grows like ``n^2 / 2`` (float32 would lose it), so
it is never formed: slopes are ``(C_b - C_a) / (b - a) - (a + b + 1) / 2``
with ``C`` the cumulative sum of ``s`` centred on its middle value, and the
triangular part exact. Measured against float64 on the same float32 logits
(std 3): max |r32 - r64| = 4e-6 at (256, 100) and 3e-5 at (64, 1000) for
eps = 1 (0.3 x n * eps32, i.e. below one float32 ulp of the largest rank),
at most 1.2e-4 for eps in [0.1, 10]; 1e-3 when ``|x| / eps`` reaches 1e3
(the float32 rounding of ``x / eps`` itself). Gradients: <= 5e-7 relative,
except where two block means lie within float32 rounding of each other and
pool the other way (1 row in 1024 at (1024, 81), eps = 0.1): the same ranks,
the other one-sided derivative of that kink.
``tests/test_losses/test_soft_rank.py`` holds these bounds.
"""
import numpy as np
import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

__all__ = ['soft_rank']


def _sort_rows(values: Tensor):
    """Ascending sort of each row: ``(sorted [N, n], order [N, n])``, any
    order among ties.

    CPU tensors use numpy's SIMD argsort (3-6x faster than ``torch.sort``
    there, and a CPU tensor's memory is already the host's: no copy, no
    sync); any other device ``torch.sort``, never a host round trip. Tie
    order does not matter: tied entries always share one isotonic block,
    hence one rank and one gradient.
    """
    if values.device.type == 'cpu':
        order = torch.from_numpy(np.argsort(values.numpy(), axis=1))
        return values.gather(1, order), order
    return torch.sort(values, dim=1)


def _compact(keep: Tensor, width: int, *columns: Tensor, count=None):
    """Move the kept entries of every row to the front (order preserved),
    into ``width`` columns (``width`` >= every row's count).

    Returns ``valid [N, width]`` and each column compacted to
    ``[N, width]``; entries past a row's count are padding (0).
    """
    if count is None:
        count = keep.sum(1)
    dest = torch.where(keep, keep.cumsum(1) - 1, width)
    rows = keep.shape[0]
    out = [
        col.new_zeros(rows, width + 1).scatter_(1, dest, col)[:, :width]
        for col in columns
    ]
    valid = torch.arange(width, device=keep.device) < count[:, None]
    return valid, out


def _neighbour_drop(csum: Tensor, pos: Tensor, valid: Tensor,
                    conf: Tensor):
    """``[N, K]`` candidates on or above the chord of their neighbours: not
    hull vertices (a pool-adjacent-violators merge, equal means included).
    None at all means the candidates are the hull. Also returns ``C``, the
    cumulative sums at the candidates."""
    C = csum.gather(1, pos)
    slope = (C[:, 1:] - C[:, :-1]) / (pos[:, 1:] - pos[:, :-1]) - (
        pos[:, 1:] + pos[:, :-1] + 1) * 0.5
    slope.masked_fill_(~valid[:, 1:], float('inf'))
    drop = torch.zeros_like(valid)
    torch.ge(slope[:, :-1], slope[:, 1:], out=drop[:, 1:-1])
    return drop.logical_and_(valid).logical_and_(~conf), C


def _quickhull_step(csum: Tensor, C: Tensor, pos: Tensor, valid: Tensor,
                    conf: Tensor, drop: Tensor):
    """Remove ``drop``; then, for each chord between consecutive confirmed
    vertices, drop the points on or above it and confirm the (leftmost)
    point farthest below it; compact to the same width K. Without the
    quickhull part, a long run of blocks merging one at a time would take
    one round per block. Returns the new ``(pos, valid, conf)``."""
    N, K = pos.shape
    keep = valid & ~drop
    seg = conf.cumsum(1)  # number of the confirmed vertex at or before
    conf_pos = pos.new_zeros(N, K + 2).scatter_(1, torch.where(conf, seg, 0),
                                                pos)
    left = conf_pos.gather(1, seg)
    right = conf_pos.gather(1, (seg + 1).clamp_(max=K + 1))
    free = keep & ~conf
    # height of S_p above the chord (< 0: below), written with the slopes
    # of C so that no O(n^2)-sized S_j is formed:
    # (p - l) * (slope(l, p) - slope(l, r))
    #   = C_p - C_l - (p - l) (C_r - C_l) / (r - l) + (p - l) (r - p) / 2
    C_left = csum.gather(1, left)
    span = pos - left
    depth = (C - C_left) - span * (csum.gather(1, right) - C_left) / (
        right - left) + (span * (right - pos)) * 0.5
    keep &= ~(free & (depth >= 0))
    depth.masked_fill_(~free, float('inf'))
    deepest = depth.new_full((N, K + 2), float('inf')).scatter_reduce_(
        1, seg, depth, 'amin')
    new = free & (depth < 0) & (depth == deepest.gather(1, seg))
    kcol = torch.arange(K, device=pos.device).expand(N, K)
    first = kcol.new_full((N, K + 2), K).scatter_reduce_(
        1, seg, torch.where(new, kcol, K), 'amin')
    conf = conf | (new & (kcol == first.gather(1, seg)))
    valid, (pos, conf) = _compact(keep, K, pos, conf)
    return pos, valid, conf


def _lower_hull(csum: Tensor, gaps: Tensor):
    """Vertices of the lower convex hull of ``(j, S_j)``, ``j = 0 .. n``.

    Args:
        csum (Tensor): ``[N, n + 1]`` cumulative sums of the centred sorted
            ``s``, ``csum[:, 0] = 0``.
        gaps (Tensor): ``[N, n - 1]`` ``s[:, 1:] - s[:, :-1]``.

    Returns:
        tuple[Tensor, Tensor]: vertex positions ``[N, K]`` (increasing,
        starting at 0 and ending at n) and their ``valid [N, K]`` mask.
    """
    N, m = csum.shape
    n = m - 1
    device = csum.device
    # interior points where the slope does not strictly increase are never
    # vertices (the first pool-adjacent-violators pass): y_{j+1} > y_j is
    # s_{j+1} - s_j > 1, read off the exact gaps, not the cumulative sums
    keep = torch.ones(N, m, dtype=torch.bool, device=device)
    torch.gt(gaps, 1.0, out=keep[:, 1:n])
    # host read 1: the candidate width, usually a small fraction of n
    count = keep.sum(1)
    width = int(count.max())
    cols = torch.arange(m, device=device).expand(N, m)
    valid, (pos, ) = _compact(keep, width, cols, count=count)
    if width <= 2:  # only the end points are left: a single block
        return pos, valid
    # confirmed vertices: both ends; later the quickhull points
    conf = torch.zeros_like(valid)
    conf[:, 0] = True
    conf[:, :-1] |= valid[:, :-1] & ~valid[:, 1:]
    conf[:, -1] |= valid[:, -1]
    # rounds run in batches of 1, 2, 4, ... with no host read inside a
    # batch; after a batch, one read of the neighbour test decides. A round
    # applied to a finished hull keeps it (it may only confirm vertices), so
    # overshooting is safe.
    batch, left = 1, 1
    while True:
        drop, C = _neighbour_drop(csum, pos, valid, conf)
        if not left:
            if not bool(drop.any()):  # host read per batch
                return pos, valid
            batch *= 2
            left = batch
        pos, valid, conf = _quickhull_step(csum, C, pos, valid, conf, drop)
        left -= 1


def _block_mean(csum: Tensor, start: Tensor, end: Tensor,
                length: Tensor) -> Tensor:
    """Mean over ``[start, end)`` of the values whose cumulative sums are
    ``csum [N, n + 1]``."""
    return (csum.gather(1, end) - csum.gather(1, start)) / length


class _SoftRank(torch.autograd.Function):

    @staticmethod
    def forward(ctx, values: Tensor, regularization_strength: float):
        scale = 1.0 / regularization_strength
        N, n = values.shape
        dtype = torch.float64 if values.dtype == torch.float64 else \
            torch.float32
        s, order = _sort_rows(values.detach().to(dtype))
        s.mul_(scale)  # a fresh tensor from the sort
        # ranks do not change when a constant is added to a row; centring
        # on the middle value keeps the cumulative sums (and their rounding)
        # small, and keeps integer-valued rows exact
        s -= s[:, n // 2:n // 2 + 1].clone()
        csum = s.new_zeros(N, n + 1)
        torch.cumsum(s, 1, out=csum[:, 1:])
        vertex, valid = _lower_hull(csum, s[:, 1:] - s[:, :-1])
        # hull edge c covers sorted positions [vertex_c, vertex_{c+1})
        start = torch.where(valid, vertex, n)
        end = torch.cat((start[:, 1:], start[:, -1:]), dim=1)
        length = (end - start).clamp_(min=1)
        is_start = torch.zeros(N, n + 1, dtype=torch.long, device=s.device)
        is_start.scatter_(1, start, 1)
        block = is_start[:, :n].cumsum(1).sub_(1)
        # r = s - v, v = block mean of y = mean(s) - (start + end + 1) / 2:
        # the small deviation from the block mean plus an exact half-integer
        offset = (start + end + 1).to(s.dtype).mul_(0.5)
        shift = _block_mean(csum, start, end, length) - offset
        s -= shift.gather(1, block)
        ranks = torch.empty_like(s).scatter_(1, order, s)
        ctx.save_for_backward(order, block, start, end, length)
        ctx.scale = scale
        return ranks.to(values.dtype)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output: Tensor):
        order, block, start, end, length = ctx.saved_tensors
        N, n = order.shape
        dtype = torch.float64 if grad_output.dtype == torch.float64 else \
            torch.float32
        g = grad_output.to(dtype).gather(1, order)
        csum = g.new_zeros(N, n + 1)
        torch.cumsum(g, 1, out=csum[:, 1:])
        g -= _block_mean(csum, start, end, length).gather(1, block)
        grad = torch.empty_like(g).scatter_(1, order, g).mul_(ctx.scale)
        return grad.to(grad_output.dtype), None


def soft_rank(values: Tensor, regularization_strength: float = 1.0) -> Tensor:
    """Soft ranks of each row, ascending (1 = smallest), differentiable.

    The same numbers as ``torchsort.soft_rank(values, regularization='l2',
    regularization_strength=regularization_strength)``: the projection of
    ``values / eps`` onto the permutahedron of ``(n, ..., 1)`` (Blondel et
    al., ICML 2020). Small eps gives the hard ranks, large eps the mean rank
    ``(n + 1) / 2``. The backward pass is the exact block-constant
    Jacobian-vector product. Computed in float64 for float64 input and in
    float32 otherwise, returned in the input dtype; memory O(N n). Block
    means are differences of cumulative sums of the row-centred ``x / eps``,
    so the absolute error is about ``n * u * mean|x| / eps`` with ``u`` the
    unit roundoff (float64: ~1e-12 on logits, matching torchsort; float32:
    ~1e-4, see the module docstring). On a GPU a call waits for the device
    twice for realistic logits (at most ``2 + log2(n + 1)`` times).

    Args:
        values (Tensor): ``[N, n]`` floating point.
        regularization_strength (float): eps > 0. Defaults to 1.0.

    Returns:
        Tensor: ``[N, n]`` soft ranks.
    """
    if not torch.is_tensor(values) or values.dim() != 2:
        shape = tuple(values.shape) if torch.is_tensor(values) else values
        raise ValueError(f'soft_rank expects a 2-d tensor [N, n], got {shape}')
    if not values.is_floating_point():
        raise TypeError(f'soft_rank expects floating point values, got '
                        f'{values.dtype}')
    if not regularization_strength > 0:
        raise ValueError('regularization_strength must be > 0, got '
                         f'{regularization_strength}')
    if values.numel() == 0:
        return values * 0
    return _SoftRank.apply(values, float(regularization_strength))
