# Copyright (c) mmlogitkd contributors. All rights reserved.
"""LDRLD on the shapes that take its large-batch CPU paths (the packed-key
top-k sort, detection RoIs: N * C >= 32768, C <= 256), against torch.topk
and the official code, in float64, forward and gradient."""
import pytest
import torch

from mmlogitkd.losses import LDRLDLoss
from mmlogitkd.losses.functional import _ldrld_flat_index
from mmlogitkd.losses.topk import sorts_by_keys, topk_indices
from .reference import assert_ldrld_equals_official, ldrld_ref


def special_rows(N, C, dtype, seed=0):
    """Random rows, then rows whose top k + 1 hold what the key sort must
    hand to torch.topk: ties, +-0, near-ties below the key resolution,
    NaN of either sign, infinities, values beyond float32."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(N, C, generator=g, dtype=dtype) * 3
    x[0] = torch.randint(0, 3, (C, ), generator=g).to(dtype)  # ties
    x[1] = 0.0
    x[1, ::2] = -0.0  # -0 and +0 tie
    x[2, :3] = x[2].max() + torch.tensor([1.0, 1 + 1e-6, 1 + 2e-6])
    x[3, 5] = float('nan')
    x[4, 6] = -float('nan')
    x[5, 7] = float('inf')
    x[6, :] = -float('inf')
    x[6, 3] = 0.0
    x[7, 2:5] = float('nan')
    if dtype == torch.float64:
        x[8, :2] = 1e300  # beyond float32: both round to inf
        x[9, :3] = 1.0 + torch.tensor([0.0, 1e-12, 2e-12], dtype=dtype)
    return x


@pytest.mark.parametrize('shape', [(1024, 81), (300, 120), (128, 256),
                                   (64, 100), (40, 1000)])
@pytest.mark.parametrize('k', [1, 2, 7, -1])
@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_topk_and_flat_index_are_torch_topk(shape, k, dtype):
    N, C = shape
    k = C - 1 if k == -1 else k
    x = special_rows(N, C, dtype)
    ref = x.topk(k, dim=1).indices
    assert torch.equal(topk_indices(x, k), ref)
    # the flat index of the [2, N, C] stack, [k, 2, N] order
    offsets = torch.arange(0, 2 * N * C, C).view(2, N)
    flat = (ref.t()[:, None] + offsets).reshape(-1)
    assert torch.equal(_ldrld_flat_index(x, k), flat)


def test_key_sort_paths_are_taken():
    # the shapes above exercise both paths
    x = torch.zeros(1024, 81)
    assert sorts_by_keys(x, 7) and not sorts_by_keys(x, 81)
    assert not sorts_by_keys(torch.zeros(64, 100), 7)
    assert not sorts_by_keys(torch.zeros(40, 1000), 7)
    assert not sorts_by_keys(x.half(), 7)


@pytest.mark.parametrize('shape,k', [((512, 81), 7), ((300, 120), 9),
                                     ((512, 81), 3)])
@pytest.mark.parametrize('seed', [0, 1])
def test_ldrld_large_batch_equals_official_code(shape, k, seed):
    g = torch.Generator().manual_seed(seed)
    s = torch.randn(*shape, generator=g, dtype=torch.float64) * 3
    t = torch.randn(*shape, generator=g, dtype=torch.float64) * 3
    s[:20] = s[:20].round()  # tied rows: the torch.topk fallback
    assert_ldrld_equals_official(s, t, k)


@pytest.mark.parametrize('topk_from', ['student', 'teacher'])
@pytest.mark.parametrize('beta', [0.0, 0.5])
def test_ldrld_large_batch_per_row(topk_from, beta):
    # per-row values and gradients against the per-term loop, on a slice of
    # a batch that takes the key sort (the loop is slow)
    g = torch.Generator().manual_seed(3)
    s = torch.randn(512, 81, generator=g, dtype=torch.float64) * 3
    t = torch.randn(512, 81, generator=g, dtype=torch.float64) * 3
    s1 = s.clone().requires_grad_()
    loss = LDRLDLoss(alpha=2.0, beta=beta, k=7, topk_from=topk_from,
                     reduction='none')
    rows = loss(s1, t)
    w = torch.rand(512, generator=g, dtype=torch.float64)
    grad, = torch.autograd.grad((rows * w).sum(), s1)
    part = slice(0, 12)
    s2 = s[part].clone().requires_grad_()
    ref = ldrld_ref(s2, t[part], 7, 4.0, 0.05, 2.0, beta, topk_from)
    ref_grad, = torch.autograd.grad((ref * w[part]).sum(), s2)
    torch.testing.assert_close(rows[part], ref, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(grad[part], ref_grad, rtol=1e-10, atol=1e-12)


def test_ldrld_large_batch_strided_and_float32():
    g = torch.Generator().manual_seed(4)
    s = torch.randn(81, 1024, generator=g).t()  # non-contiguous [1024, 81]
    t = torch.randn(1024, 81, generator=g)
    s1 = s.clone().requires_grad_()
    s2 = s.contiguous().requires_grad_()
    loss = LDRLDLoss()
    a, b = loss(s1, t), loss(s2, t)
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    ga, = torch.autograd.grad(a, s1)
    gb, = torch.autograd.grad(b, s2)
    torch.testing.assert_close(ga, gb, rtol=0, atol=0)
    # float32 stays within float32 rounding of the float64 result
    s3 = s.double().requires_grad_()
    c = loss(s3, t.double())
    gc, = torch.autograd.grad(c, s3)
    torch.testing.assert_close(a.double(), c, rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(ga.double(), gc, rtol=1e-4, atol=1e-9)
