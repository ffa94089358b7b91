# Copyright (c) mmlogitkd contributors. All rights reserved.
"""DIST and SKD against independent float64 loop forms of their official
code (``hunto/image_classification_sota`` ``lib/models/losses/
dist_kd.py``; ``HyunJunSik/StreamLined`` ``Distiller/SKD.py``) and against
verbatim copies of it; value and gradient; the batch-level contract."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmlogitkd.losses import BatchLogitLoss, DISTLoss, SKDLoss
from mmlogitkd.losses.skd_direction import skd_direction_loss
from mmlogitkd.registry import MODELS
from mmlogitkd.testing import host_reads
from .reference import kl, log_softmax, standardize


def softmax_row(z):
    return torch.exp(log_softmax(z))


def make(N=6, C=10, scale=3.0, seed=0, dtype=torch.float64, ties=False):
    g = torch.Generator().manual_seed(seed)
    s = (torch.randn(N, C, generator=g, dtype=torch.float64) * scale)
    t = (torch.randn(N, C, generator=g, dtype=torch.float64) * scale)
    if ties:  # equal teacher rows: constant teacher columns, median ties
        t[1:] = t[0]
    y = torch.randint(0, C, (N, ), generator=g)
    return s.to(dtype), t.to(dtype), y


def value_and_grad(fn, s):
    s = s.clone().requires_grad_()
    out = fn(s)
    grad, = torch.autograd.grad(out, s)
    return out, grad


def assert_same(ours_fn, ref_fn, s, rtol=1e-10, gtol=1e-9):
    ours, g_ours = value_and_grad(ours_fn, s)
    ref, g_ref = value_and_grad(ref_fn, s)
    assert ours.dtype == torch.float64 and ours.dim() == 0
    torch.testing.assert_close(ours, ref, rtol=rtol, atol=1e-12)
    torch.testing.assert_close(g_ours, g_ref, rtol=gtol, atol=1e-12)
    return ours


# DIST: loop form and verbatim copy of the official code


def pearson_loop(a, b, eps=1e-8):
    """Official ``pearson_correlation`` of two 1-d vectors: the cosine of
    the centred vectors, eps added to the product of the norms."""
    a = a - a.sum() / a.numel()
    b = b - b.sum() / b.numel()
    norms = torch.sqrt((a * a).sum()) * torch.sqrt((b * b).sum())
    return (a * b).sum() / (norms + eps)


def dist_loop(s, t, beta, gamma, T, ls=False):
    """Official ``DIST.forward``: inter-class relation row by row, intra-
    class relation class by class, each times T^2."""
    if ls:
        s, t = standardize(s), standardize(t)
    N, C = s.shape
    p_s = [softmax_row(s[n] / T) for n in range(N)]
    p_t = [softmax_row(t[n] / T) for n in range(N)]
    inter = 1 - sum(pearson_loop(p_s[n], p_t[n]) for n in range(N)) / N
    intra = 1 - sum(
        pearson_loop(torch.stack([p_s[n][c] for n in range(N)]),
                     torch.stack([p_t[n][c] for n in range(N)]))
        for c in range(C)) / C
    return beta * T * T * inter + gamma * T * T * intra


def dist_official(z_s, z_t, beta, gamma, tau):
    """``lib/models/losses/dist_kd.py`` verbatim (teacher under no_grad
    in the official trainer)."""

    def cosine_similarity(a, b, eps=1e-8):
        return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + eps)

    def pearson_correlation(a, b, eps=1e-8):
        return cosine_similarity(a - a.mean(1).unsqueeze(1),
                                 b - b.mean(1).unsqueeze(1), eps)

    def inter_class_relation(y_s, y_t):
        return 1 - pearson_correlation(y_s, y_t).mean()

    def intra_class_relation(y_s, y_t):
        return inter_class_relation(y_s.transpose(0, 1), y_t.transpose(0, 1))

    z_t = z_t.detach()
    y_s = (z_s / tau).softmax(dim=1)
    y_t = (z_t / tau).softmax(dim=1)
    inter_loss = tau**2 * inter_class_relation(y_s, y_t)
    intra_loss = tau**2 * intra_class_relation(y_s, y_t)
    return beta * inter_loss + gamma * intra_loss


# (8, 3), (13, 2): 2C < N, the direction term from [2C, 2C] systems
SHAPES = [(2, 2), (2, 7), (5, 10), (8, 3), (13, 2), (4, 100)]


@pytest.mark.parametrize('N,C', SHAPES)
@pytest.mark.parametrize('beta,gamma,T,ls', [(1.0, 1.0, 1.0, False),
                                             (2.0, 0.5, 4.0, False),
                                             (0.0, 1.0, 2.0, False),
                                             (1.0, 1.0, 4.0, True)])
def test_dist_matches_official_loop(N, C, beta, gamma, T, ls):
    s, t, _ = make(N, C)
    loss = DISTLoss(beta=beta,
                    gamma=gamma,
                    temperature=T,
                    standardize=ls,
                    loss_weight=2.0)
    ours = assert_same(lambda x: loss(x, t),
                       lambda x: 2.0 * dist_loop(x, t, beta, gamma, T, ls), s)
    if not ls:
        assert_same(lambda x: loss(x, t),
                    lambda x: 2.0 * dist_official(x, t, beta, gamma, T), s)
    assert ours > 0


@pytest.mark.parametrize('scale,ties', [(30.0, False), (3.0, True)])
def test_dist_large_logits_and_constant_teacher_columns(scale, ties):
    s, t, _ = make(6, 10, scale=scale, ties=ties)
    loss = DISTLoss(temperature=4.0)
    assert_same(lambda x: loss(x, t), lambda x: dist_loop(x, t, 1, 1, 4.0), s)
    if ties:  # every teacher column is constant: rho = 0, intra = T^2
        loss(s, t)
        assert loss.extra_log_vars()['intra'].item() == pytest.approx(16.0)


def test_dist_relations_are_logged():
    s, t, _ = make()
    loss = DISTLoss(beta=2.0, gamma=3.0, temperature=4.0)
    value = loss(s, t)
    terms = loss.extra_log_vars()
    assert set(terms) == {'inter', 'intra'}
    torch.testing.assert_close(2 * terms['inter'] + 3 * terms['intra'], value)
    torch.testing.assert_close(terms['inter'], dist_loop(s, t, 1.0, 0.0, 4.0))


# SKD: loop form and verbatim copy of the official code


def l2_normalise(row):
    """``F.normalize(p=2)`` of one row: ``x / max(||x||, 1e-12)``."""
    return row / torch.clamp(torch.sqrt((row * row).sum()), min=1e-12)


def skd_direction_loop(s, t, tik, divide_by_c=True):
    """Official ``SKD_loss``: Gram matrices of the normalised rows (divided
    by C), their difference D, ``torch.cov(D.T)`` entry by entry (columns
    of D are the variables, its rows the observations, unbiased), plus
    ``tik * I``, its inverse, then ``mean_i sqrt(D_i^T S^-1 D_i)``."""
    N, C = s.shape
    div = C if divide_by_c else 1
    u_s = [l2_normalise(s[n]) for n in range(N)]
    u_t = [l2_normalise(t[n]) for n in range(N)]
    D = [[(u_s[i] * u_s[j]).sum() / div - (u_t[i] * u_t[j]).sum() / div
          for j in range(N)] for i in range(N)]
    mean = [sum(D[i][j] for i in range(N)) / N for j in range(N)]
    cov = [[
        sum((D[i][j] - mean[j]) * (D[i][k] - mean[k])
            for i in range(N)) / (N - 1) + (tik if j == k else 0.0)
        for k in range(N)
    ] for j in range(N)]
    inv = torch.linalg.inv(torch.stack([torch.stack(row) for row in cov]))
    dist = [
        torch.sqrt(
            sum(D[i][j] * inv[j, k] * D[i][k] for j in range(N)
                for k in range(N))) for i in range(N)
    ]
    return sum(dist) / N


def median_mask_fraction(values):
    """Official mask ``values <= np.percentile(values, 50)``, as the
    fraction it keeps (each mask multiplies a batch scalar, then .mean())."""
    thresh = np.percentile(values.detach().numpy().flatten(), 50)
    return values.le(float(thresh)).double().mean()


def skd_loop(s, t, T, tik, ls=False):
    """Official ``SKD.forward_train`` without ``loss_ce``: ``loss_kd +
    loss_bc`` (kd weight 1), row by row."""
    N = s.shape[0]
    p_t = torch.stack([softmax_row(t[n]) for n in range(N)])
    mask = median_mask_fraction(p_t.max(1).values)
    class_mask = median_mask_fraction(p_t.sum(0))
    z_s, z_t = (standardize(s), standardize(t)) if ls else (s, t)
    kd = sum(
        kl(log_softmax(z_t[n] / T), log_softmax(z_s[n] / T))
        for n in range(N)) / N * T * T
    return mask * kd + class_mask * skd_direction_loop(s, t, tik)


def skd_official(logits_student, logits_teacher, temperature, tik):
    """``Distiller/SKD.py`` verbatim (``kd_loss``, ``SKD_loss``,
    ``forward_train`` with kd weight 1, no ``loss_ce``)."""
    logits_teacher = logits_teacher.detach()

    def kd_loss(logits_student, logits_teacher, temperature):
        log_pred_student = F.log_softmax(logits_student / temperature, dim=1)
        pred_teacher = F.softmax(logits_teacher / temperature, dim=1)
        loss_kd = F.kl_div(log_pred_student, pred_teacher,
                           reduction='none').sum(1).mean()
        loss_kd *= temperature**2
        return loss_kd

    def SKD_loss(logits_student, logits_teacher, tik_factor):
        _, C = logits_student.size()
        lambda_val = tik_factor
        logits_student = F.normalize(logits_student, p=2, dim=1)
        logits_teacher = F.normalize(logits_teacher, p=2, dim=1)
        student_matrix = torch.mm(logits_student, logits_student.T) / (C)
        teacher_matrix = torch.mm(logits_teacher, logits_teacher.T) / (C)
        diff = student_matrix - teacher_matrix
        diff = diff.view(diff.size(0), -1)
        # dtype added: the official eye takes the default dtype, float32,
        # which rounds lambda to float32 in a float64 run
        cov_matrix = torch.cov(diff.T) + lambda_val * torch.eye(
            diff.size(1), device=diff.device, dtype=diff.dtype)
        L = torch.linalg.cholesky(cov_matrix)
        cov_matrix_inv = torch.cholesky_inverse(L)
        mahalanobis_dist = torch.einsum('bi,ij,bj->b', diff, cov_matrix_inv,
                                        diff)
        return torch.sqrt(mahalanobis_dist).mean()

    pred_teacher = F.softmax(logits_teacher.detach(), dim=1)
    confidence, pseudo_labels = pred_teacher.max(dim=1)
    conf_thresh = np.percentile(confidence.cpu().numpy().flatten(), 50)
    mask = confidence.le(conf_thresh).bool()
    class_confidence = torch.sum(pred_teacher, dim=0)
    class_confidence_thresh = np.percentile(
        class_confidence.cpu().numpy().flatten(), 50)
    class_conf_mask = class_confidence.le(class_confidence_thresh).bool()
    loss_kd = (kd_loss(logits_student, logits_teacher, temperature) *
               mask).mean()
    loss_bc = (SKD_loss(logits_student, logits_teacher, tik) *
               class_conf_mask).mean()
    return loss_kd + loss_bc


@pytest.mark.parametrize('N,C', SHAPES)
@pytest.mark.parametrize('T,tik,ls', [(4.0, 0.1, False), (1.0, 1e-3, False),
                                      (2.0, 1.0, False), (4.0, 0.1, True)])
def test_skd_matches_official_loop(N, C, T, tik, ls):
    s, t, y = make(N, C)
    loss = SKDLoss(temperature=T,
                   tikhonov=tik,
                   standardize=ls,
                   loss_weight=0.9)
    ours = assert_same(lambda x: loss(x, t, y),
                       lambda x: 0.9 * skd_loop(x, t, T, tik, ls), s)
    if not ls:
        assert_same(lambda x: loss(x, t, y),
                    lambda x: 0.9 * skd_official(x, t, T, tik), s)
    assert ours > 0


@pytest.mark.parametrize('scale,ties', [(30.0, False), (3.0, True)])
def test_skd_large_logits_and_median_ties(scale, ties):
    s, t, _ = make(7, 10, scale=scale, ties=ties)
    loss = SKDLoss()
    assert_same(lambda x: loss(x, t), lambda x: skd_loop(x, t, 4.0, 0.1), s)
    assert_same(lambda x: loss(x, t), lambda x: skd_official(x, t, 4.0, 0.1),
                s)


def test_skd_direction_alone_and_terms_logged():
    s, t, y = make(6, 10)
    assert_same(lambda x: skd_direction_loss(x, t, 0.1),
                lambda x: skd_direction_loop(x, t, 0.1), s)
    loss = SKDLoss()
    value = loss(s, t, y)
    terms = loss.extra_log_vars()
    assert set(terms) == {'kd', 'direction'}
    torch.testing.assert_close(terms['kd'] + terms['direction'], value)
    # the target is not read: the same value without it
    torch.testing.assert_close(loss(s, t), value)
    torch.testing.assert_close(loss(s, t, (y + 1) % 10), value)


@pytest.mark.parametrize('N,C', [(2, 3), (5, 4), (9, 6), (9, 4), (20, 3)])
def test_skd_written_out_backward_is_the_gradient(N, C):
    """The direction term's and the KD term's written-out backward
    (N x N route for 2C >= N, low-rank route for 2C < N) against finite
    differences, with and without standardized KD logits."""
    s, t, y = make(N, C, scale=1.0, seed=N + C)
    s.requires_grad_()
    assert torch.autograd.gradcheck(
        lambda x: skd_direction_loss(x, t, 0.05), (s, ))
    for ls in (False, True):
        loss = SKDLoss(tikhonov=0.05, standardize=ls)
        assert torch.autograd.gradcheck(lambda x: loss(x, t, y), (s, ))


@pytest.mark.parametrize('N,C', [(5, 4), (20, 3)])  # N x N, low rank
def test_skd_tiny_student_row_has_the_official_gradient(N, C):
    """A row of norm below 1e-12: F.normalize clamps its norm (no finite
    difference holds there); the written-out backward follows the official
    autograd."""
    s, t, _ = make(N, C, seed=3)
    s[1] = s[1] / s[1].norm() * 3e-13
    assert_same(lambda x: SKDLoss()(x, t),
                lambda x: skd_official(x, t, 4.0, 0.1), s, gtol=1e-8)


@pytest.mark.parametrize('N,C', [(9, 4), (64, 10), (200, 3)])
@pytest.mark.parametrize('tik', [0.1, 1e-3])
def test_skd_low_rank_direction_is_the_official_one(N, C, tik):
    """2C < N: the direction term from [2C, 2C] systems against the
    official N x N covariance, value and gradient. The N x N
    system is solved directly (``linalg.solve``): the official
    ``cholesky_inverse`` then ``einsum`` is the same maths (SHAPES above
    compare against it verbatim) but at tikhonov 1e-3 and N = 200 its own
    rounding reaches 3e-12 on a gradient of scale 1e-3."""
    s, t, _ = make(N, C)

    def ref(x):
        u_s, u_t = F.normalize(x, dim=1), F.normalize(t, dim=1)
        diff = (u_s @ u_s.T - u_t @ u_t.T) / C
        cov = torch.cov(diff.T) + tik * torch.eye(N, dtype=diff.dtype)
        white = torch.linalg.solve(cov, diff.T).T
        return (diff * white).sum(1).sqrt().mean()

    assert_same(lambda x: skd_direction_loss(x, t, tik), ref, s)


def test_skd_torchdistill_direction_is_ours_with_tikhonov_over_c2():
    """torchdistill's ``SKDDirectionLoss`` (Gram matrices not divided by C)
    is the authors' direction term at ``tikhonov / C^2``: the docstring's
    claim."""
    s, t, _ = make(6, 10)
    C = 10
    theirs = skd_direction_loop(s, t, 0.1, divide_by_c=False)
    torch.testing.assert_close(skd_direction_loss(s, t, 0.1 / C**2), theirs)
    assert not torch.allclose(skd_direction_loss(s, t, 0.1), theirs)


@pytest.mark.parametrize('N,C', [(5, 10), (20, 3)])  # N x N, low rank
def test_skd_student_equal_to_teacher_has_a_finite_gradient(N, C):
    # D = 0: value 0; the official sqrt(0) would give a nan gradient
    _, t, _ = make(N, C)
    s = t.clone().requires_grad_()
    out = SKDLoss()(s, t)
    out.backward()
    assert out.item() == 0.0
    assert torch.isfinite(s.grad).all() and s.grad.abs().max() < 1e-12
    official = t.clone().requires_grad_()
    skd_official(official, t, 4.0, 0.1).backward()
    assert torch.isnan(official.grad).any()


# the contract of the batch-level losses

CFGS = [
    dict(type='DISTLoss'),
    dict(type='DISTLoss', temperature=4.0, standardize=True),
    dict(type='SKDLoss'),
    dict(type='SKDLoss', standardize=True),
]


def _name(cfg):
    return ','.join(f'{k}={v}' for k, v in cfg.items())


def test_registry_and_defaults():
    d = MODELS.build(dict(type='DISTLoss', loss_weight=2.0))
    assert isinstance(d, DISTLoss) and isinstance(d, BatchLogitLoss)
    assert (d.beta, d.gamma, d.temperature, d.loss_weight) == (1.0, 1.0, 1.0,
                                                               2.0)
    k = MODELS.build(dict(type='SKDLoss'))
    assert isinstance(k, SKDLoss) and isinstance(k, BatchLogitLoss)
    assert (k.temperature, k.tikhonov, k.loss_weight) == (4.0, 0.1, 1.0)
    assert not d.requires_target and not k.requires_target
    assert d.min_classes == 2 and k.min_classes == 1
    for cls in (DISTLoss, SKDLoss):
        assert cls.forward.contract == 'batch' and cls.forward.maths


@pytest.mark.parametrize('cfg', CFGS, ids=_name)
def test_loss_weight_scales(cfg):
    s, t, y = make(dtype=torch.float32)
    unit = MODELS.build(cfg)(s, t, y)
    torch.testing.assert_close(
        MODELS.build(dict(cfg, loss_weight=3.0))(s, t, y), 3.0 * unit)


@pytest.mark.parametrize('cfg', CFGS, ids=_name)
def test_teacher_gets_no_gradient(cfg):
    s, t, y = make(dtype=torch.float32)
    s.requires_grad_()
    t.requires_grad_()
    MODELS.build(cfg)(s, t, y).backward()
    assert t.grad is None
    assert s.grad is not None and torch.isfinite(s.grad).all()
    assert s.grad.abs().sum() > 0


@pytest.mark.parametrize('cfg', CFGS, ids=_name)
@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
@pytest.mark.parametrize('scale', [3.0, 1e4])
def test_low_precision_computes_in_float32(cfg, dtype, scale):
    s, t, y = make(8, 10, scale=scale, dtype=dtype)
    s.requires_grad_()
    out = MODELS.build(cfg)(s, t, y)
    assert out.dtype == torch.float32 and torch.isfinite(out)
    ref = MODELS.build(cfg)(s.detach().float(), t.float(), y)
    torch.testing.assert_close(out, ref)
    out.backward()
    assert s.grad.dtype == dtype and torch.isfinite(s.grad.float()).all()


@pytest.mark.parametrize('cfg', CFGS, ids=_name)
def test_autocast_keeps_float32(cfg):
    s, t, y = make(dtype=torch.float32)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = MODELS.build(cfg)(s, t, y)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, MODELS.build(cfg)(s, t, y))


@pytest.mark.parametrize('cfg', CFGS, ids=_name)
def test_batch_level_refusals_and_empty_batch(cfg):
    s, t, y = make(dtype=torch.float32)
    loss = MODELS.build(cfg)
    with pytest.raises(ValueError, match='batch-level'):
        loss(s, t, y, weight=torch.ones(6))
    with pytest.raises(ValueError, match='batch-level'):
        loss(s, t, y, avg_factor=2.0)
    with pytest.raises(ValueError, match='batch-level'):
        loss(s, t, y, reduction_override='none')
    with pytest.raises(ValueError, match="reduction='mean'"):
        MODELS.build(dict(cfg, reduction='sum'))
    with pytest.raises(ValueError, match=r'\(6, 10\).*\(6, 9\)'):
        loss(s, t[:, :9], y)
    with pytest.raises(ValueError, match=r'\[0, 10\)'):
        loss(s, t, y + 10)
    empty = s[:0].clone().requires_grad_()
    out = loss(empty, t[:0])
    assert out.shape == () and out.item() == 0.0
    out.backward()


@pytest.mark.parametrize('cls', [DISTLoss, SKDLoss])
def test_one_row_raises_naming_the_shape(cls):
    s, t, _ = make(1, 10, dtype=torch.float32)
    with pytest.raises(ValueError, match=r'N >= 2.*\(1, 10\)'):
        cls()(s, t)
    two = make(2, 10, dtype=torch.float32)
    assert torch.isfinite(cls()(two[0], two[1]))


def test_class_count():
    s, t, _ = make(6, 1, dtype=torch.float32)
    with pytest.raises(ValueError, match='C >= 2.*got 1'):
        DISTLoss()(s, t)
    with pytest.raises(ValueError, match='C >= 2'):
        DISTLoss().check_num_classes(1)
    DISTLoss().check_num_classes(2)
    # SKD is defined on one class (its KD term is 0 there) ...
    assert torch.isfinite(SKDLoss()(s, t))
    # ... but not with standardization (the unbiased std of one value)
    with pytest.raises(ValueError, match='2 classes'):
        SKDLoss(standardize=True)(s, t)


@pytest.mark.parametrize('cls,bad,match', [
    (DISTLoss, dict(temperature=0.0), 'temperature'),
    (DISTLoss, dict(temperature=-1.0), 'temperature'),
    (DISTLoss, dict(beta=-1.0), 'beta'),
    (DISTLoss, dict(gamma=-0.5), 'gamma'),
    (DISTLoss, dict(gamma=float('nan')), 'gamma'),
    (DISTLoss, dict(reduction='none'), 'reduction'),
    (SKDLoss, dict(temperature=0.0), 'temperature'),
    (SKDLoss, dict(tikhonov=0.0), 'tikhonov'),
    (SKDLoss, dict(tikhonov=-0.1), 'tikhonov'),
    (SKDLoss, dict(reduction='sum'), 'reduction'),
])
def test_argument_errors(cls, bad, match):
    with pytest.raises(ValueError, match=match):
        cls(**bad)


# no host reads, and the code path of a CUDA tensor


@pytest.mark.parametrize('cfg', CFGS, ids=_name)
@pytest.mark.parametrize('shape', [(6, 10), (300, 120)])
def test_no_host_reads(cfg, shape):
    s, t, y = make(*shape, dtype=torch.float32)
    s.requires_grad_()
    loss = MODELS.build(cfg)
    with host_reads():
        loss(s, t, y).backward()
        loss.extra_log_vars()
    assert torch.isfinite(s.grad).all()


@pytest.mark.parametrize('cfg', CFGS, ids=_name)
def test_meta_device(cfg):
    s = torch.empty(12, 10, device='meta', requires_grad=True)
    t = torch.empty(12, 10, device='meta')
    y = torch.empty(12, dtype=torch.long, device='meta')
    with host_reads():
        out = MODELS.build(cfg).to('meta')(s, t, y)
        out.backward()
    assert out.device.type == 'meta' and out.shape == ()
    assert s.grad.shape == (12, 10)
