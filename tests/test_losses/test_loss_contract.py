# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The call contract every loss shares: registry, reductions, weights,
dtypes, detached teacher, validation."""
import pytest
import torch

from mmlogitkd.losses import (
    BaseLogitLoss,
    BatchLogitLoss,
    DKDLoss,
    KDLoss,
    LDRLDLoss,
    NKDLoss,
    RankAlignLoss,
    RowwiseLogitLoss,
    batch_loss,
    rowwise_loss,
)
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
    dict(type='TTMLoss', power=0.5),
    dict(type='WTTMLoss', power=0.5, standardize=True),
    dict(type='WSLDLoss'),
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
    with pytest.raises(ValueError, match=r'k=11.*10 classes'):
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


# what each loss declares, so that no distiller asks for its class
NEEDS = [
    # cfg, requires_target, uses_views, row-wise, fewest classes
    (dict(type='KDLoss'), False, False, True, 1),
    (dict(type='KDLoss', standardize=True), False, False, True, 2),
    (dict(type='DKDLoss'), True, False, True, 2),
    (dict(type='NKDLoss'), True, False, True, 2),
    (dict(type='LDRLDLoss', k=3), False, False, True, 3),
    (dict(type='RankAlignLoss'), False, False, True, 1),
    (dict(type='CTKDLoss'), False, False, True, 1),
    (dict(type='TTMLoss'), False, False, True, 1),
    (dict(type='WTTMLoss'), False, False, True, 1),
    (dict(type='WSLDLoss'), True, False, True, 1),
    (dict(type='CTKDLoss', base='dkd'), True, False, True, 2),
    (dict(type='MLKDLoss'), False, False, False, 2),
    (dict(type='DISTLoss'), False, False, False, 2),
    (dict(type='SKDLoss'), False, False, False, 1),
    (dict(type='SKDLoss', standardize=True), False, False, False, 2),
    (dict(type='ScaleDecoupledLoss', loss=dict(type='KDLoss')), True, True,
     False, 1),
    (dict(type='ScaleDecoupledLoss', loss=dict(type='LDRLDLoss', k=4)),
     True, True, False, 4),
]


@pytest.mark.parametrize('cfg,target,views,rowwise,min_classes', NEEDS)
def test_losses_declare_what_they_need(cfg, target, views, rowwise,
                                       min_classes):
    loss = MODELS.build(cfg)
    assert loss.requires_target is target
    assert loss.uses_views is views
    assert isinstance(loss, RowwiseLogitLoss) is rowwise
    batch_level = cfg['type'] in ('MLKDLoss', 'DISTLoss', 'SKDLoss')
    assert isinstance(loss, BatchLogitLoss) is batch_level
    loss.check_num_classes(min_classes)
    loss.check_num_classes(100)
    if min_classes > 1:
        with pytest.raises(ValueError, match=str(min_classes - 1)):
            loss.check_num_classes(min_classes - 1)


def test_instance_ctkd_checks_its_num_classes():
    loss = MODELS.build(
        dict(type='CTKDLoss', mode='instance', num_classes=10))
    loss.check_num_classes(10)
    with pytest.raises(ValueError, match='built for 10'):
        loss.check_num_classes(9)


def test_forward_is_the_decorated_maths():
    # the registered module's forward holds the maths (one call into the
    # functional); the decorator adds the shared contract
    for cls in (KDLoss, DKDLoss, NKDLoss, LDRLDLoss, RankAlignLoss):
        assert cls.forward.contract == 'rowwise' and cls.forward.maths
    with pytest.raises(TypeError, match='@rowwise_loss'):

        class Undecorated(RowwiseLogitLoss):

            def forward(self, student, teacher, target=None):
                return student.sum(1)

    with pytest.raises(TypeError, match='@batch_loss'):

        class WrongBase(BatchLogitLoss):

            @rowwise_loss
            def forward(self, student, teacher, target):
                return student.sum(1)


def test_forward_rows_is_the_unreduced_maths():
    s, t, y = batch(dtype=torch.float16)
    loss = DKDLoss(loss_weight=3.0, standardize=True)
    rows = loss.forward_rows(s, t, y)
    assert rows.dtype == torch.float32
    torch.testing.assert_close(rows * 3.0,
                               loss(s, t, y, reduction_override='none'))


def test_batch_level_contract():

    class SumOfProducts(BatchLogitLoss):

        @batch_loss
        def forward(self, student, teacher, target):
            return (student * teacher).sum()

    s, t, y = batch()
    s.requires_grad_()
    loss = SumOfProducts(loss_weight=2.0)
    torch.testing.assert_close(loss(s, t, y), 2 * (s * t).sum())
    assert loss(s.half(), t.half()).dtype == torch.float32
    loss(s, t).backward()
    assert s.grad is not None
    with pytest.raises(ValueError, match="reduction='mean'"):
        SumOfProducts(reduction='sum')
    with pytest.raises(ValueError, match='batch-level'):
        loss(s, t, weight=torch.ones(6))
    with pytest.raises(ValueError, match=r'\[0, 10\)'):
        loss(s, t, y + 10)
    empty = loss(s[:0], t[:0])
    assert empty.shape == () and empty.item() == 0.0


def test_scale_decoupled_wraps_row_wise_losses_only():
    with pytest.raises(TypeError, match='row-wise'):
        MODELS.build(
            dict(type='ScaleDecoupledLoss', loss=dict(type='MLKDLoss')))
