# Copyright (c) mmlogitkd contributors. All rights reserved.
"""MLKD against an independent float64 loop form of the official
``KD_ours.forward_train`` (Jin-Ying/Multi-Level-Logit-Distillation) and of
LS's ``MLKD.py`` (sunshangquan/logit-standardization-KD): the same
temperatures, masks (numpy percentiles), weights, and the same use of the
strong view; value and gradient."""
import numpy as np
import pytest
import torch

from mmlogitkd.losses import MLKDLoss
from mmlogitkd.losses.mlkd_loss import median_fraction
from mmlogitkd.registry import MODELS
from mmlogitkd.testing import host_reads
from .reference import kl, log_softmax, standardize


def softmax_row(z):
    return torch.exp(log_softmax(z))


def kd_official(s, t, T, ls=False):
    """Official ``kd_loss`` (reduce=True): T^2 * mean_n KL, by rows."""
    if ls:
        s, t = standardize(s), standardize(t)
    rows = [
        kl(log_softmax(t[n] / T), log_softmax(s[n] / T))
        for n in range(s.shape[0])
    ]
    return torch.stack(rows).mean() * T * T


def bc_official(s, t, T):
    """Official ``bc_loss``: ||P_t P_t^T - P_s P_s^T||^2 / N, by entries."""
    N = s.shape[0]
    ps = [softmax_row(s[n] / T) for n in range(N)]
    pt = [softmax_row(t[n] / T) for n in range(N)]
    total = 0
    for i in range(N):
        for j in range(N):
            total = total + ((pt[i] * pt[j]).sum() - (ps[i] * ps[j]).sum())**2
    return total / N


def cc_official(s, t, T):
    """Official ``cc_loss``: ||P_t^T P_t - P_s^T P_s||^2 / C, the Gram
    matrices as sums of outer products of the rows."""
    N, C = s.shape
    gs = sum(
        torch.outer(softmax_row(s[n] / T), softmax_row(s[n] / T))
        for n in range(N))
    gt = sum(
        torch.outer(softmax_row(t[n] / T), softmax_row(t[n] / T))
        for n in range(N))
    return ((gt - gs)**2).sum() / C


def mlkd_official(s_w, s_s, t_w, t_s, T0=4.0, w=0.9, ls=False):
    """``loss_kd + loss_cc + loss_bc`` of the official forward_train, term
    by term (temperatures T0, 3, 5, 2, 6; the last two terms of
    ``loss_kd_strong`` read the weak logits)."""
    pred_t = torch.stack([softmax_row(t_w[n]) for n in range(len(t_w))])
    confidence = pred_t.max(1).values
    thresh = np.percentile(confidence.numpy().flatten(), 50)
    mask = confidence.le(float(thresh))
    class_confidence = pred_t.sum(0)
    class_thresh = np.percentile(class_confidence.numpy().flatten(), 50)
    class_mask = class_confidence.le(float(class_thresh))
    temps = (T0, 3.0, 5.0, 2.0, 6.0)
    kd_weak = sum(w * (kd_official(s_w, t_w, T, ls) * mask).mean()
                  for T in temps)
    kd_strong = (sum(w * kd_official(s_s, t_s, T, ls) for T in temps[:3]) +
                 sum(w * kd_official(s_w, t_w, T, ls) for T in temps[3:]))
    cc_weak = sum(w * (cc_official(s_w, t_w, T) * class_mask).mean()
                  for T in temps)
    bc_weak = sum(w * (bc_official(s_w, t_w, T) * mask).mean() for T in temps)
    return kd_weak + kd_strong + cc_weak + bc_weak


def make_views(N=6, C=10, scale=3.0, seed=0, ties=False):
    g = torch.Generator().manual_seed(seed)
    s = torch.randn(2 * N, C, generator=g, dtype=torch.float64) * scale
    t = torch.randn(2 * N, C, generator=g, dtype=torch.float64) * scale
    if ties:  # equal teacher rows: ties at the confidence median
        t[1:N] = t[0]
    return s, t


@pytest.mark.parametrize(
    'N,C,scale,ties',
    [
        (6, 10, 3.0, False),
        (5, 10, 3.0, False),  # odd N: the median is a row
        (4, 7, 3.0, True),
        (6, 10, 30.0, False),
        (1, 5, 3.0, False),
    ])
@pytest.mark.parametrize('setting', ['mlkd', 'mlkd_ls'])
def test_matches_official_loop(N, C, scale, ties, setting):
    s, t = make_views(N, C, scale, ties=ties)
    if setting == 'mlkd':  # MLKD's own repository: T0 4, weight 0.9
        loss = MLKDLoss(loss_weight=0.9)
        T0, w, ls = 4.0, 0.9, False
    else:  # LS's MLKD + ours: base temperature 2, weight 9, Z-score
        loss = MLKDLoss(temperatures=(2, 3, 5, 2, 6),
                        strong_temperatures=(2, 3, 5),
                        extra_weak_temperatures=(2, 6),
                        standardize=True,
                        loss_weight=9.0)
        T0, w, ls = 2.0, 9.0, True
    s1, s2 = s.clone().requires_grad_(), s.clone().requires_grad_()
    ours = loss(s1, t)
    ref = mlkd_official(s2[:N], s2[N:], t[:N], t[N:], T0, w, ls)
    assert ours.dtype == torch.float64 and ours.dim() == 0
    torch.testing.assert_close(ours, ref, rtol=1e-10, atol=1e-12)
    g1, = torch.autograd.grad(ours, s1)
    g2, = torch.autograd.grad(ref, s2)
    torch.testing.assert_close(g1, g2, rtol=1e-9, atol=1e-12)


def test_levels_and_their_log():
    s, t = make_views()
    full = MLKDLoss()
    value = full(s, t)
    terms = full.extra_log_vars()
    assert set(terms) == {'instance', 'batch', 'class'}
    torch.testing.assert_close(sum(terms.values()), value)
    only_instance = MLKDLoss(batch_weight=0, class_weight=0)(s, t)
    torch.testing.assert_close(only_instance, terms['instance'])
    # without masks the weak terms are not halved
    unmasked = MLKDLoss(confidence_mask=False)
    unmasked(s, t)
    assert unmasked.extra_log_vars()['batch'] == pytest.approx(
        2 * terms['batch'].item())


def test_standardize_all_levels_is_the_paper_variant():
    s, t = make_views()
    N = 6
    on = MLKDLoss(standardize=True, standardize_all_levels=True)
    on(s, t)
    z_s, z_t = standardize(s[:N]), standardize(t[:N])
    ref_bc = sum(bc_official(z_s, z_t, T) for T in (4, 3, 5, 2, 6)) * 0.5
    torch.testing.assert_close(on.extra_log_vars()['batch'], ref_bc)


@pytest.mark.parametrize('M', list(range(1, 10)))
@pytest.mark.parametrize('ties', [False, True])
def test_median_fraction_is_numpy_percentile_mask(M, ties):
    g = torch.Generator().manual_seed(M)
    x = torch.rand(M, generator=g, dtype=torch.float64)
    if ties:
        x = torch.randint(0, 3, (M, ), generator=g).double()
    thresh = np.percentile(x.numpy(), 50)
    expected = x.le(float(thresh)).double().mean()
    torch.testing.assert_close(median_fraction(x), expected)
    torch.testing.assert_close(median_fraction(x.float()), expected.float())


def test_contract_errors():
    loss = MODELS.build(dict(type='MLKDLoss'))
    with pytest.raises(ValueError, match='odd number of rows'):
        loss(torch.randn(5, 4), torch.randn(5, 4))
    with pytest.raises(ValueError, match='batch-level'):
        loss(torch.randn(4, 4), torch.randn(4, 4), weight=torch.ones(4))
    with pytest.raises(ValueError, match="reduction='mean'"):
        MLKDLoss(reduction='none')
    with pytest.raises(ValueError, match='positive'):
        MLKDLoss(temperatures=(0, 2))
    assert loss(torch.zeros(0, 4), torch.zeros(0, 4)).item() == 0
    # the teacher gets no gradient
    s = torch.randn(4, 6, requires_grad=True)
    t = torch.randn(4, 6, requires_grad=True)
    loss(s, t).backward()
    assert t.grad is None and s.grad is not None


@pytest.mark.parametrize('standardize', [False, True])
def test_no_host_reads(standardize):
    s, t = make_views()
    s = s.float().requires_grad_()
    loss = MLKDLoss(standardize=standardize)
    with host_reads():
        loss(s, t.float()).backward()
        loss.extra_log_vars()


def test_meta_device():
    """The code path of a CUDA tensor: no data is read."""
    s = torch.empty(12, 10, device='meta', requires_grad=True)
    out = MLKDLoss(standardize=True)(s, torch.empty(12, 10, device='meta'))
    out.backward()
    assert out.shape == ()
