# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The call contract every loss shares: registry, reductions, weights,
dtypes, detached teacher, validation."""
import pytest
import torch

from mmlogitkd.losses import (BaseLogitLoss, DKDLoss, KDLoss, LDRLDLoss,
                              NKDLoss, RankAlignLoss)
from mmlogitkd.registry import MODELS

LOSSES = [
    dict(type='KDLoss'),
    dict(type='KDLoss', standardize=True),
    dict(type='DKDLoss'),
    dict(type='NKDLoss', temperature=2.0),
    dict(type='LDRLDLoss'),
    dict(type='LDRLDLoss', topk_from='teacher', standardize=True),
    dict(type='RankAlignLoss'),
    dict(type='RankAlignLoss', mode='spearman'),
]


def batch(N=6, C=10, dtype=torch.float32, scale=3.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    s = (torch.randn(N, C, generator=g) * scale).to(dtype)
    t = (torch.randn(N, C, generator=g) * scale).to(dtype)
    return s, t, torch.randint(0, C, (N, ), generator=g)


def test_registry_builds_every_loss():
    for name, cls in [('KDLoss', KDLoss), ('DKDLoss', DKDLoss),
                      ('NKDLoss', NKDLoss), ('LDRLDLoss', LDRLDLoss),
                      ('RankAlignLoss', RankAlignLoss)]:
        loss = MODELS.build(dict(type=name, loss_weight=2.0))
        assert isinstance(loss, cls) and isinstance(loss, BaseLogitLoss)
        assert loss.loss_weight == 2.0
    sdd = MODELS.build(
        dict(type='ScaleDecoupledLoss', loss=dict(type='DKDLoss', beta=2.0)))
    assert isinstance(sdd.loss, DKDLoss) and sdd.loss.beta == 2.0


def test_defaults():
    assert KDLoss().temperature == 4.0
    d = DKDLoss()
    assert (d.alpha, d.beta, d.temperature) == (1.0, 8.0, 4.0)
    n = NKDLoss()
    assert (n.temperature, n.gamma) == (1.0, 1.5)
    ld = LDRLDLoss()
    assert (ld.alpha, ld.beta, ld.k, ld.temperature, ld.gamma,
            ld.topk_from) == (1.0, 1.0, 7, 4.0, 0.05, 'student')
    r = RankAlignLoss()
    assert (r.regularization_strength, r.mode) == (1.0, 'l2')
    assert all(MODELS.build(c).reduction == 'mean' for c in LOSSES)


@pytest.mark.parametrize('cfg', LOSSES)
def test_reductions_weight_avg_factor(cfg):
    s, t, y = batch()
    loss = MODELS.build(dict(cfg, loss_weight=3.0))
    per_row = loss(s, t, y, reduction_override='none')
    assert per_row.shape == (6, )
    torch.testing.assert_close(loss(s, t, y), per_row.mean())
    torch.testing.assert_close(
        loss(s, t, y, reduction_override='sum'), per_row.sum())
    w = torch.rand(6)
    torch.testing.assert_close(loss(s, t, y, weight=w), (per_row * w).mean())
    torch.testing.assert_close(
        loss(s, t, y, weight=w, avg_factor=2.5), (per_row * w).sum() / 2.5)
    none = MODELS.build(dict(cfg, loss_weight=3.0, reduction='none'))
    torch.testing.assert_close(none(s, t, y), per_row)
    unit = MODELS.build(dict(cfg))
    torch.testing.assert_close(unit(s, t, y) * 3.0, loss(s, t, y))


@pytest.mark.parametrize('cfg', LOSSES)
def test_teacher_gets_no_gradient(cfg):
    s, t, y = batch()
    s.requires_grad_()
    t.requires_grad_()
    MODELS.build(cfg)(s, t, y).backward()
    assert t.grad is None
    assert s.grad is not None and torch.isfinite(s.grad).all()


@pytest.mark.parametrize('cfg', LOSSES)
@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
@pytest.mark.parametrize('scale', [3.0, 1e4])
def test_low_precision_computes_in_float32(cfg, dtype, scale):
    s, t, y = batch(dtype=dtype, scale=scale)
    s.requires_grad_()
    out = MODELS.build(cfg)(s, t, y)
    assert out.dtype == torch.float32 and torch.isfinite(out)
    ref = MODELS.build(cfg)(s.detach().float(), t.float(), y)
    torch.testing.assert_close(out, ref)
    out.backward()
    assert s.grad.dtype == dtype and torch.isfinite(s.grad.float()).all()


@pytest.mark.parametrize('cfg', LOSSES)
def test_autocast_keeps_float32(cfg):
    s, t, y = batch()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = MODELS.build(cfg)(s, t, y)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, MODELS.build(cfg)(s, t, y))


@pytest.mark.parametrize('cfg', LOSSES)
def test_empty_batch(cfg):
    s, t, y = batch(N=0)
    s.requires_grad_()
    out = MODELS.build(cfg)(s, t, y)
    assert out.shape == () and out.item() == 0.0
    out.backward()


@pytest.mark.parametrize('cfg', LOSSES)
def test_shape_errors_name_the_shapes(cfg):
    s, t, y = batch()
    loss = MODELS.build(cfg)
    with pytest.raises(ValueError, match=r'\(6, 10\).*\(6, 9\)'):
        loss(s, t[:, :9], y)
    with pytest.raises(ValueError, match=r'\(6, 10\).*\(5, 10\)'):
        loss(s, t[:5], y)
    with pytest.raises(ValueError, match=r'\(60,\)'):
        loss(s.flatten(), t.flatten(), y)
    with pytest.raises(ValueError, match=r'\(6,\).*\(5,\)'):
        loss(s, t, y[:5])
    with pytest.raises(ValueError, match=r'\[0, 10\)'):
        loss(s, t, y + 10)
    with pytest.raises(ValueError, match='reduction'):
        loss(s, t, y, reduction_override='avg')
    with pytest.raises(ValueError, match=r'weight.*\(6,\).*\(5,\)'):
        loss(s, t, y, weight=torch.ones(5))


def test_target_requirements():
    s, t, y = batch()
    for cls in (DKDLoss, NKDLoss):
        with pytest.raises(ValueError, match='target'):
            cls()(s, t)
        with pytest.raises(ValueError, match='C >= 2'):
            cls()(s[:, :1], t[:, :1], y * 0)
    for cls in (KDLoss, LDRLDLoss, RankAlignLoss):
        assert torch.isfinite(cls()(s, t))
        assert torch.isfinite(cls()(s, t, y))


def test_argument_errors():
    s, t, _ = batch()
    with pytest.raises(ValueError, match=r'k=11.*\(6, 10\)'):
        LDRLDLoss(k=11)(s, t)
    for bad in (dict(k=0), dict(k=2.5), dict(topk_from='both'),
                dict(temperature=0.0)):
        with pytest.raises(ValueError):
            LDRLDLoss(**bad)
    with pytest.raises(ValueError, match='mode'):
        RankAlignLoss(mode='kendall')
    with pytest.raises(ValueError, match='regularization_strength'):
        RankAlignLoss(regularization_strength=0.0)
    with pytest.raises(ValueError, match='reduction'):
        KDLoss(reduction='avg')
    with pytest.raises(ValueError, match='temperature'):
        KDLoss(temperature=-1.0)
    with pytest.raises(TypeError):
        RankAlignLoss(standardize=True)  # no temperature, no LS switch
    with pytest.raises(ValueError, match='2 classes'):
        KDLoss(standardize=True)(s[:, :1], t[:, :1])
