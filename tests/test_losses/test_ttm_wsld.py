# Copyright (c) mmlogitkd contributors. All rights reserved.
"""TTM, WTTM and WSLD against loop forms written from their official code
(``zkxufo/TTM`` ``distiller_zoo/ttm.py`` / ``wttm.py``;
``bellymonster/Weighted-Soft-Label-Distillation``
``knowledge_distiller.py``), in float64, value and gradient."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmlogitkd.losses import KDLoss, TTMLoss, WSLDLoss, WTTMLoss
from mmlogitkd.losses.functional import standardize_logits
from mmlogitkd.registry import MODELS
from .reference import log_softmax

# loop forms: one row at a time, plain ops, as the official code reads


def ttm_row(s, t, power, weighted):
    """Official TTM / WTTM of one row: ``p_t = softmax(t)^l``, normalised;
    ``F.kl_div`` (0 log 0 = 0) summed over classes; WTTM times the
    normaliser."""
    p_t = torch.exp(log_softmax(t))**power
    norm = p_t.sum()
    p_t = p_t / norm
    # F.kl_div(input, target): target * log(target) - target * input,
    # with 0 log 0 = 0
    kl = (torch.xlogy(p_t, p_t) - p_t * log_softmax(s)).sum()
    return norm * kl if weighted else kl


def ttm_ref(s, t, power, weighted=False):
    return torch.stack(
        [ttm_row(s[i], t[i], power, weighted) for i in range(s.shape[0])])


def wsld_row(s, t, y, T):
    """Official WSLD soft term of one row (before the batch mean): the
    soft cross-entropy at T, the focal weight from one-hot cross-entropies
    at T = 1 of detached logits, ``T^2``."""
    C = s.numel()
    p_t = torch.exp(log_softmax(t / T))
    soft = -(p_t * log_softmax(s / T)).sum()
    one_hot = torch.zeros(C, dtype=s.dtype)
    one_hot[y] = 1.0
    ce_s = -(one_hot * log_softmax(s.detach())).sum()
    ce_t = -(one_hot * log_softmax(t.detach())).sum()
    focal = ce_s / (ce_t + 1e-7)
    focal = torch.max(focal, torch.zeros_like(focal))
    focal = 1 - torch.exp(-focal)
    return T**2 * focal * soft


def wsld_ref(s, t, y, T):
    return torch.stack(
        [wsld_row(s[i], t[i], int(y[i]), T) for i in range(s.shape[0])])


# the official modules, verbatim (batch forms)


def official_ttm(y_s, y_t, l, weighted):
    p_s = F.log_softmax(y_s, dim=1)
    p_t = torch.pow(torch.softmax(y_t, dim=1), l)
    norm = torch.sum(p_t, dim=1)
    p_t = p_t / norm.unsqueeze(1)
    KL = torch.sum(F.kl_div(p_s, p_t, reduction='none'), dim=1)
    return torch.mean(norm * KL) if weighted else torch.mean(KL)


def official_wsld(fc_s, fc_t, label, T, num_classes):
    s_input_for_softmax = fc_s / T
    t_input_for_softmax = fc_t / T
    t_soft_label = torch.softmax(t_input_for_softmax, dim=1)
    softmax_loss = -torch.sum(
        t_soft_label * torch.log_softmax(s_input_for_softmax, dim=1),
        1,
        keepdim=True)
    fc_s_auto = fc_s.detach()
    fc_t_auto = fc_t.detach()
    log_softmax_s = torch.log_softmax(fc_s_auto, dim=1)
    log_softmax_t = torch.log_softmax(fc_t_auto, dim=1)
    one_hot_label = F.one_hot(label, num_classes=num_classes).to(fc_s.dtype)
    softmax_loss_s = -torch.sum(one_hot_label * log_softmax_s, 1, keepdim=True)
    softmax_loss_t = -torch.sum(one_hot_label * log_softmax_t, 1, keepdim=True)
    focal_weight = softmax_loss_s / (softmax_loss_t + 1e-7)
    ratio_lower = torch.zeros(1, dtype=fc_s.dtype)
    focal_weight = torch.max(focal_weight, ratio_lower)
    focal_weight = 1 - torch.exp(-focal_weight)
    softmax_loss = focal_weight * softmax_loss
    return (T**2) * torch.mean(softmax_loss)


SHAPES = [(6, 10), (1, 10), (5, 2), (16, 100)]
POWERS = [0.1, 0.5, 1.0, 2.0]
TEMPERATURES = [1.0, 2.0, 4.0]


def make_batch(shape, scale=3.0, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    N, C = shape
    s = (torch.randn(N, C, generator=g, dtype=torch.float64) * scale)
    t = (torch.randn(N, C, generator=g, dtype=torch.float64) * scale)
    y = torch.randint(0, C, (N, ), generator=g)
    return s.to(dtype), t.to(dtype), y


def assert_matches(ours_fn, ref_fn, s, t, rtol=1e-10, atol=1e-12):
    """Same value and same gradient w.r.t. the student logits."""
    s1 = s.clone().requires_grad_()
    s2 = s.clone().requires_grad_()
    ours, ref = ours_fn(s1, t), ref_fn(s2, t)
    assert ours.dtype == torch.float64 and ours.shape == ref.shape
    torch.testing.assert_close(ours, ref, rtol=rtol, atol=atol)
    g1, = torch.autograd.grad(ours.sum(), s1)
    g2, = torch.autograd.grad(ref.sum(), s2)
    assert g1.abs().max() > 0
    torch.testing.assert_close(g1, g2, rtol=rtol, atol=atol)


CASES = [(TTMLoss, False), (WTTMLoss, True)]


@pytest.mark.parametrize('cls,weighted', CASES)
@pytest.mark.parametrize('shape', SHAPES)
@pytest.mark.parametrize('power', POWERS)
def test_ttm_matches_loop_form(cls, weighted, shape, power):
    s, t, _ = make_batch(shape)
    loss = cls(power=power)
    assert_matches(lambda a, b: loss(a, b),
                   lambda a, b: ttm_ref(a, b, power, weighted).mean(), s, t)


@pytest.mark.parametrize('shape', SHAPES)
@pytest.mark.parametrize('temperature', TEMPERATURES)
def test_wsld_matches_loop_form(shape, temperature):
    s, t, y = make_batch(shape)
    loss = WSLDLoss(temperature=temperature)
    assert_matches(lambda a, b: loss(a, b, y),
                   lambda a, b: wsld_ref(a, b, y, temperature).mean(), s, t)


@pytest.mark.parametrize('seed', [0, 1, 2])
@pytest.mark.parametrize('power', POWERS)
def test_ttm_equals_official_module(seed, power):
    s, t, _ = make_batch((32, 100), seed=seed)
    for cls, weighted in CASES:
        assert_matches(lambda a, b: cls(power=power)(a, b),
                       lambda a, b: official_ttm(a, b, power, weighted), s, t)


@pytest.mark.parametrize('seed', [0, 1, 2])
@pytest.mark.parametrize('temperature', TEMPERATURES)
def test_wsld_equals_official_module(seed, temperature):
    s, t, y = make_batch((32, 100), seed=seed)
    assert_matches(
        lambda a, b: WSLDLoss(temperature=temperature)(a, b, y),
        lambda a, b: official_wsld(a, b, y, temperature, num_classes=100), s,
        t)


def _loss_and_ref(name):
    if name == 'ttm':
        return TTMLoss(power=0.3), lambda s, t, y: ttm_ref(s, t, 0.3)
    if name == 'wttm':
        return WTTMLoss(power=0.3), lambda s, t, y: ttm_ref(s, t, 0.3, True)
    return WSLDLoss(temperature=3.0), lambda s, t, y: wsld_ref(s, t, y, 3.0)


@pytest.mark.parametrize('name', ['ttm', 'wttm', 'wsld'])
def test_weight_avg_factor_and_no_reduction(name):
    s, t, y = make_batch((7, 12), seed=3)
    loss, ref = _loss_and_ref(name)
    rows = ref(s, t, y)
    w = torch.rand(7,
                   dtype=torch.float64,
                   generator=torch.Generator().manual_seed(0))
    close = dict(rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(loss(s, t, y, reduction_override='none'), rows,
                               **close)
    torch.testing.assert_close(loss(s, t, y, weight=w), (rows * w).mean(),
                               **close)
    torch.testing.assert_close(loss(s, t, y, weight=w, avg_factor=2.5),
                               (rows * w).sum() / 2.5, **close)
    torch.testing.assert_close(loss(s, t, y, reduction_override='sum'),
                               rows.sum(), **close)
    weighted = type(loss)(**{
        k: getattr(loss, k)
        for k in ('power', 'temperature') if hasattr(loss, k)
    },
                          loss_weight=2.5,
                          reduction='none')
    torch.testing.assert_close(weighted(s, t, y), 2.5 * rows, **close)
    # gradient of a weighted, avg_factor-reduced loss
    s1 = s.clone().requires_grad_()
    s2 = s.clone().requires_grad_()
    g1, = torch.autograd.grad(loss(s1, t, y, weight=w, avg_factor=2.5), s1)
    g2, = torch.autograd.grad((ref(s2, t, y) * w).sum() / 2.5, s2)
    torch.testing.assert_close(g1, g2, **close)


@pytest.mark.parametrize('name', ['ttm', 'wttm', 'wsld'])
@pytest.mark.parametrize('scale', [3.0, 300.0])
def test_fp16_gives_finite_float32(name, scale):
    s, t, y = make_batch((8, 50), scale=scale, dtype=torch.float16)
    loss, _ = _loss_and_ref(name)
    s.requires_grad_()
    out = loss(s, t, y)
    assert out.dtype == torch.float32 and torch.isfinite(out)
    torch.testing.assert_close(out, loss(s.detach().float(), t.float(), y))
    out.backward()
    assert s.grad.dtype == torch.float16 and torch.isfinite(s.grad).all()


@pytest.mark.parametrize('name', ['ttm', 'wttm', 'wsld'])
def test_teacher_gets_no_gradient(name):
    s, t, y = make_batch((6, 10))
    loss, _ = _loss_and_ref(name)
    s.requires_grad_()
    t.requires_grad_()
    out = loss(s, t, y)
    assert out.requires_grad
    out.backward()
    assert t.grad is None
    assert s.grad is not None and s.grad.abs().max() > 0


@pytest.mark.parametrize('cls', [TTMLoss, WTTMLoss])
@pytest.mark.parametrize('power', [0.0, -0.5, math.inf, math.nan])
def test_power_is_validated(cls, power):
    with pytest.raises(ValueError, match='power'):
        cls(power=power)


@pytest.mark.parametrize('temperature', [0.0, -2.0, math.nan])
def test_wsld_temperature_is_validated(temperature):
    with pytest.raises(ValueError, match='temperature'):
        WSLDLoss(temperature=temperature)


def test_wsld_needs_target():
    s, t, y = make_batch((6, 10))
    loss = WSLDLoss()
    assert loss.requires_target
    with pytest.raises(ValueError, match='target'):
        loss(s, t)
    with pytest.raises(ValueError, match='target'):
        MODELS.build(dict(type='WSLDLoss'))(s, t, None)
    with pytest.raises(ValueError, match=r'\[0, 10\)'):
        loss(s, t, y + 10)


def test_defaults_and_registry():
    assert MODELS.build(dict(type='TTMLoss')).power == 1.0
    assert MODELS.build(dict(type='WTTMLoss')).power == 1.0
    wsld = MODELS.build(dict(type='WSLDLoss', loss_weight=2.5))
    assert wsld.temperature == 2.0 and wsld.loss_weight == 2.5
    assert not TTMLoss.requires_target and not WTTMLoss.requires_target
    assert 'power=0.5' in repr(TTMLoss(power=0.5))
    assert 'temperature=3.0' in repr(WSLDLoss(temperature=3.0))


@pytest.mark.parametrize('power', [0.2, 1.0, 3.0])
def test_ttm_is_kd_of_a_teacher_at_temperature_one_over_power(power):
    # softmax(t)^l renormalised is softmax(l t): KD at T = 1 against the
    # teacher's logits times l
    s, t, _ = make_batch((6, 10), seed=4)
    torch.testing.assert_close(TTMLoss(power=power)(s, t),
                               KDLoss(temperature=1.0)(s, t * power),
                               rtol=1e-12,
                               atol=1e-12)


def test_wttm_weight_is_the_normaliser():
    s, t, _ = make_batch((6, 10), seed=5)
    rows_ttm = TTMLoss(power=0.5, reduction='none')(s, t)
    rows_wttm = WTTMLoss(power=0.5, reduction='none')(s, t)
    norm = (torch.softmax(t, 1)**0.5).sum(1)
    torch.testing.assert_close(rows_wttm, norm * rows_ttm, rtol=1e-12, atol=0)
    assert (norm > 1).all()  # l < 1: Z >= 1, so WTTM weighs rows up
    torch.testing.assert_close(WTTMLoss(power=1.0)(s, t),
                               TTMLoss(power=1.0)(s, t),
                               rtol=1e-12,
                               atol=1e-12)


def test_ttm_is_a_kl_and_wsld_a_cross_entropy():
    """TTM is 0 at the transformed teacher; WSLD keeps the teacher's
    entropy (the official soft term is a cross-entropy)."""
    _, t, y = make_batch((6, 10), seed=6)
    power = 0.5
    assert TTMLoss(power=power)(t * power, t).abs() < 1e-12
    T = 2.0
    rows = WSLDLoss(temperature=T, reduction='none')(t, t, y)
    p = torch.softmax(t / T, 1)
    entropy = -(p * p.log()).sum(1)
    # student == teacher: ce_s / (ce_t + eps) ~ 1, w = 1 - exp(-1)
    ce = -torch.log_softmax(t, 1)[torch.arange(6), y]
    w = 1 - torch.exp(-ce / (ce + 1e-7))
    torch.testing.assert_close(rows, T * T * w * entropy, rtol=1e-12, atol=0)
    assert (rows > 0).all()


def test_wsld_weights_get_no_gradient():
    """The gradient is the weights times the gradient of the soft CE, the
    weights held constant (official: detached logits)."""
    s, t, y = make_batch((6, 10), seed=7)
    T = 2.0
    s1 = s.clone().requires_grad_()
    g, = torch.autograd.grad(WSLDLoss(temperature=T)(s1, t, y), s1)
    ce = -torch.log_softmax(s, 1)[torch.arange(6), y]
    ce_t = -torch.log_softmax(t, 1)[torch.arange(6), y]
    w = 1 - torch.exp(-ce / (ce_t + 1e-7))
    # d/ds of T^2 * CE(p_t, softmax(s / T)) = T * (softmax(s / T) - p_t)
    grad_ce = T * (torch.softmax(s / T, 1) - torch.softmax(t / T, 1))
    torch.testing.assert_close(g,
                               w[:, None] * grad_ce / 6,
                               rtol=1e-10,
                               atol=1e-14)


@pytest.mark.parametrize('name', ['ttm', 'wttm', 'wsld'])
def test_standardize_switch(name):
    s, t, y = make_batch((6, 10), seed=8)
    loss, _ = _loss_and_ref(name)
    args = {
        k: getattr(loss, k)
        for k in ('power', 'temperature') if hasattr(loss, k)
    }
    on = type(loss)(standardize=True, **args)
    s1 = s.clone().requires_grad_()
    s2 = s.clone().requires_grad_()
    a = on(s1, t, y)
    b = loss(standardize_logits(s2), standardize_logits(t), y)
    torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    assert not torch.allclose(a, loss(s, t, y))
    torch.testing.assert_close(
        torch.autograd.grad(a, s1)[0],
        torch.autograd.grad(b, s2)[0])


@pytest.mark.parametrize('cls', [TTMLoss, WTTMLoss])
def test_ttm_float32_accurate_where_the_power_underflows(cls):
    # softmax(t)^l underflows in float32 for these logits; the log-space
    # transform still matches the float64 loop form
    s, t, _ = make_batch((4, 30), scale=20.0, seed=9)
    power = 4.0
    assert (torch.softmax(t.float(), 1)**power == 0).any()
    ref = ttm_ref(s, t, power, cls is WTTMLoss).mean()
    ours = cls(power=power)(s.float(), t.float())
    assert torch.isfinite(ours)
    torch.testing.assert_close(ours.double(), ref, rtol=1e-5, atol=1e-6)
