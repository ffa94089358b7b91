# Copyright (c) mmlogitkd contributors. All rights reserved.
"""soft_rank and RankAlignLoss against a per-row pool-adjacent-violators
reference, gradcheck, and torchsort when it is installed."""
import pytest
import torch

from mmlogitkd.losses import RankAlignLoss, soft_rank
from .reference import rank_align_ref, soft_rank_ref, soft_rank_vjp_ref


def values_for(case, seed=0):
    g = torch.Generator().manual_seed(seed)
    if case == 'normal':
        return torch.randn(6, 12, generator=g, dtype=torch.float64) * 3
    if case == 'ties':
        return torch.randint(-3, 4, (6, 12), generator=g).double()
    if case == 'large':
        return torch.randn(4, 12, generator=g, dtype=torch.float64) * 1e4
    if case == 'small':
        return torch.randn(4, 12, generator=g, dtype=torch.float64) * 1e-6
    if case == 'wide':
        return torch.randn(3, 300, generator=g, dtype=torch.float64) * 20
    if case == 'clusters':
        # tight clusters separated by growing gaps, plus exact ties: blocks
        # that merge one after another (many pool-adjacent-violators rounds)
        base = torch.cat([
            torch.full((10, ), 0.0),
            torch.linspace(1, 3, 15),
            2.0**torch.arange(4, 14).double(),
            torch.randn(15, generator=g, dtype=torch.float64) * 0.1 + 50,
        ])
        rows = [base[torch.randperm(base.numel(), generator=g)]
                for _ in range(4)]
        return torch.stack(rows).double()
    if case == 'one_row':
        return torch.randn(1, 9, generator=g, dtype=torch.float64)
    if case == 'two':
        return torch.tensor([[0.3, -0.2], [1.0, 1.0], [5.0, -5.0]],
                            dtype=torch.float64)
    if case == 'one':
        return torch.tensor([[2.5], [-1.0]], dtype=torch.float64)
    raise KeyError(case)


CASES = ['normal', 'ties', 'large', 'small', 'wide', 'clusters', 'one_row',
         'two', 'one']
EPS = [1e-3, 0.1, 1.0, 10.0, 1e4]


@pytest.mark.parametrize('case', CASES)
@pytest.mark.parametrize('eps', EPS)
def test_soft_rank_matches_pav_reference(case, eps):
    x = values_for(case).requires_grad_()
    ours = soft_rank(x, eps)
    ref, info = soft_rank_ref(x.detach(), eps)
    scale = max(1.0, float(x.detach().abs().max()) / eps)
    torch.testing.assert_close(ours, ref, rtol=1e-10, atol=1e-12 * scale)
    cot = torch.randn_like(ref)
    grad, = torch.autograd.grad(ours, x, cot)
    torch.testing.assert_close(
        grad, soft_rank_vjp_ref(cot, info, eps), rtol=1e-9,
        atol=1e-12 / min(eps, 1.0))


@pytest.mark.parametrize('seed', range(6))
def test_soft_rank_random_patterns(seed):
    """Mixed scales, clusters, duplicates and outliers in one batch: every
    merge pattern of the isotonic regression, checked row by row."""
    g = torch.Generator().manual_seed(100 + seed)
    n = [7, 40, 150][seed % 3]
    rows = []
    for _ in range(8):
        scale = 10**torch.empty(1).uniform_(-2, 2, generator=g).item()
        row = torch.randn(n, generator=g, dtype=torch.float64) * scale
        dup = torch.randint(0, n, (n // 3, ), generator=g)
        row[dup] = row[dup.flip(0)]  # duplicated values
        row[torch.randint(0, n, (2, ), generator=g)] *= 50  # outliers
        rows.append(row)
    x = torch.stack(rows).requires_grad_()
    eps = [0.05, 0.5, 1.0, 3.0, 20.0, 0.2][seed]
    ours = soft_rank(x, eps)
    ref, info = soft_rank_ref(x.detach(), eps)
    torch.testing.assert_close(ours, ref, rtol=1e-10, atol=1e-8)
    cot = torch.randn_like(ref)
    torch.testing.assert_close(
        torch.autograd.grad(ours, x, cot)[0],
        soft_rank_vjp_ref(cot, info, eps), rtol=1e-9, atol=1e-9 / eps)


@pytest.mark.parametrize('case', ['normal', 'ties', 'two', 'one'])
@pytest.mark.parametrize('eps', [0.3, 1.0, 5.0])
def test_soft_rank_gradcheck(case, eps):
    # tied values stay pooled under small perturbations: no kink there
    x = values_for(case, seed=3).requires_grad_()
    assert torch.autograd.gradcheck(lambda v: soft_rank(v, eps), (x, ),
                                    eps=1e-6, atol=1e-5)


def test_soft_rank_limits_and_properties():
    x = torch.randn(5, 20, dtype=torch.float64)
    hard = x.argsort(1).argsort(1).double() + 1
    torch.testing.assert_close(soft_rank(x, 1e-6), hard)
    flat = soft_rank(x, 1e6)
    torch.testing.assert_close(flat, torch.full_like(x, 10.5), atol=1e-4,
                               rtol=0)
    r = soft_rank(x, 1.0)
    # ranks of n values always sum to n (n + 1) / 2 and keep the order
    torch.testing.assert_close(r.sum(1), torch.full((5, ), 210.0,
                                                    dtype=x.dtype))
    assert torch.equal(r.argsort(1), x.argsort(1))


@pytest.mark.parametrize('dtype', [torch.float32, torch.float16,
                                   torch.bfloat16])
def test_soft_rank_dtypes(dtype):
    x = (torch.randn(4, 30) * 3).to(dtype)
    r = soft_rank(x.requires_grad_(), 1.0)
    assert r.dtype == dtype
    ref, _ = soft_rank_ref(x.detach().double(), 1.0)
    tol = 1e-4 if dtype == torch.float32 else 0.2
    torch.testing.assert_close(r.double(), ref, rtol=tol, atol=tol)
    r.sum().backward()
    assert torch.isfinite(x.grad.float()).all()


@pytest.mark.parametrize('shape', [(256, 100), (64, 1000), (1024, 81)])
@pytest.mark.parametrize('eps', [0.1, 1.0, 10.0])
def test_soft_rank_float32_against_float64(shape, eps):
    """float32 inputs are ranked in float32: as exact as float32 ranks can
    be (the bounds of the module docstring)."""
    g = torch.Generator().manual_seed(shape[1])
    x = (torch.randn(*shape, generator=g) * 3).requires_grad_()
    x64 = x.detach().double().requires_grad_()
    r32, r64 = soft_rank(x, eps), soft_rank(x64, eps)
    assert r32.dtype == torch.float32
    n_ulp = torch.finfo(torch.float32).eps * shape[1]
    bound = n_ulp if eps >= 1 else 2e-4  # below one ulp of the top rank
    assert (r32.double() - r64).abs().max() <= bound
    cot = torch.randn(*shape, generator=g, dtype=torch.float64)
    g32, = torch.autograd.grad(r32, x, cot.float())
    g64, = torch.autograd.grad(r64, x64, cot)
    # a near tie (two block means within float32 rounding) may pool the
    # other way: the same ranks, the other one-sided derivative for that
    # row (1 row of 1024 at eps = 0.1 here); every other row agrees
    row_err = (g32.double() - g64).abs().amax(1) / g64.abs().max()
    assert (row_err > 1e-6).sum() <= max(1, shape[0] // 500)
    assert row_err[row_err <= 1e-6].max() <= 5e-7


def test_soft_rank_rejects_bad_input():
    with pytest.raises(ValueError, match=r'\(3,\)'):
        soft_rank(torch.randn(3))
    with pytest.raises(ValueError, match='regularization_strength'):
        soft_rank(torch.randn(2, 3), 0.0)
    assert soft_rank(torch.zeros(0, 5)).shape == (0, 5)


def test_soft_rank_matches_torchsort():
    torchsort = pytest.importorskip('torchsort')
    x = (torch.randn(16, 50, dtype=torch.float64) * 4).requires_grad_()
    for eps in (0.1, 1.0, 3.0):
        ours = soft_rank(x, eps)
        ref = torchsort.soft_rank(x, regularization='l2',
                                  regularization_strength=eps)
        torch.testing.assert_close(ours, ref, rtol=1e-10, atol=1e-10)
        cot = torch.randn_like(ours)
        torch.testing.assert_close(
            torch.autograd.grad(ours, x, cot)[0],
            torch.autograd.grad(ref, x, cot)[0])


@pytest.mark.parametrize('mode', ['l2', 'l1', 'spearman'])
@pytest.mark.parametrize('case', ['normal', 'ties', 'large', 'two'])
@pytest.mark.parametrize('eps', [0.5, 1.0])
def test_rank_align_loss(mode, case, eps):
    s = values_for(case, seed=1)
    t = values_for(case, seed=2)
    loss = RankAlignLoss(regularization_strength=eps, mode=mode)
    s1 = s.clone().requires_grad_()
    ours = loss(s1, t)
    rank_s, info = soft_rank_ref(s, eps)
    rank_t, _ = soft_rank_ref(t, eps)
    rank_s.requires_grad_()
    ref = rank_align_ref(rank_s, rank_t, mode).mean()
    torch.testing.assert_close(ours, ref, rtol=1e-9, atol=1e-9)
    g_rank, = torch.autograd.grad(ref, rank_s)
    torch.testing.assert_close(
        torch.autograd.grad(ours, s1)[0],
        soft_rank_vjp_ref(g_rank, info, eps),
        rtol=1e-8,
        atol=1e-10)


def test_rank_align_constant_ranks_are_finite():
    # one class: constant soft ranks, Pearson undefined -> rho = 0
    s = torch.randn(3, 1, requires_grad=True)
    loss = RankAlignLoss(mode='spearman')(s, torch.randn(3, 1))
    assert loss.item() == 1.0
    loss.backward()
    assert torch.isfinite(s.grad).all()
