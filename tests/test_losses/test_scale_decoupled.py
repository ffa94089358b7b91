# Copyright (c) mmlogitkd contributors. All rights reserved.
"""ScaleDecoupledLoss against a per-view loop."""
import pytest
import torch

from mmlogitkd.losses import ScaleDecoupledLoss
from .reference import dkd_ref, kd_ref, ldrld_ref, nkd_ref


def make_cells(N=5, C=6, K=5, seed=0, scale=3.0):
    g = torch.Generator().manual_seed(seed)
    s = torch.randn(N, C, K, generator=g, dtype=torch.float64) * scale
    t = torch.randn(N, C, K, generator=g, dtype=torch.float64) * scale
    y = torch.randint(0, C, (N, ), generator=g)
    # make the teacher right on some global and some local cells so that
    # both consistent and complementary cells occur
    t[torch.arange(N), y, 0] += torch.tensor([9.0, -9.0] * N)[:N] * (
        scale / 3)
    t[0, y[0], 1:3] += 20.0
    return s, t, y


INNER = {
    'KDLoss': (dict(type='KDLoss', temperature=4.0),
               lambda s, t, y: kd_ref(s, t, 4.0)),
    'DKDLoss': (dict(type='DKDLoss', alpha=1.0, beta=8.0, temperature=4.0),
                lambda s, t, y: dkd_ref(s, t, y, 1.0, 8.0, 4.0)),
    'NKDLoss': (dict(type='NKDLoss', temperature=1.0, gamma=1.5),
                lambda s, t, y: nkd_ref(s, t, y, 1.0, 1.5)),
    'LDRLDLoss': (dict(type='LDRLDLoss', k=3, temperature=4.0),
                  lambda s, t, y: ldrld_ref(s, t, 3, 4.0, 0.05, 1.0, 1.0)),
}


def sdd_ref(student_cells, teacher_cells, y, per_row_loss, comp_weight):
    """Per-cell loop of SDD, per image: sum_k w_k l_k / K."""
    N, C, K = student_cells.shape
    rows = []
    for n in range(N):
        total = 0
        g_ok = int(teacher_cells[n, :, 0].argmax()) == int(y[n])
        for k in range(K):
            loss = per_row_loss(student_cells[n:n + 1, :, k],
                                teacher_cells[n:n + 1, :, k], y[n:n + 1])[0]
            c_ok = int(teacher_cells[n, :, k].argmax()) == int(y[n])
            w = 1.0 if (k == 0 or g_ok == c_ok) else comp_weight
            total = total + w * loss
        rows.append(total / K)
    return torch.stack(rows)


@pytest.mark.parametrize('inner', sorted(INNER))
@pytest.mark.parametrize('K', [5, 21])
@pytest.mark.parametrize('case', ['normal', 'large'])
def test_sdd_matches_per_cell_loop(inner, K, case):
    cfg, ref_fn = INNER[inner]
    s, t, y = make_cells(N=4, K=K, scale=1e4 if case == 'large' else 3.0)
    loss = ScaleDecoupledLoss(loss=cfg, complementary_weight=2.0,
                              loss_weight=0.9)
    s1 = s.clone().requires_grad_()
    s2 = s.clone().requires_grad_()
    ours = loss(s1, t, y)
    ref = 0.9 * sdd_ref(s2, t, y, ref_fn, 2.0).mean()
    torch.testing.assert_close(ours, ref, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(
        torch.autograd.grad(ours, s1)[0],
        torch.autograd.grad(ref, s2)[0],
        rtol=1e-9,
        atol=1e-9)
    per_image = loss(s, t, y, reduction_override='none')
    assert per_image.shape == (4, )
    torch.testing.assert_close(per_image.mean(), ours)


def test_sdd_weights():
    s, t, y = make_cells(N=3, C=4, K=5)
    # the inner loss is 1 on every cell: the result is the mean cell weight

    loss = ScaleDecoupledLoss(loss=dict(type='KDLoss'),
                              complementary_weight=3.0, reduction='none')
    loss.loss.forward_rows = lambda a, b, c: torch.ones_like(a[:, 0])
    correct = t.argmax(1) == y[:, None]
    w = torch.where(correct == correct[:, :1], 1.0, 3.0).double()
    torch.testing.assert_close(loss(s, t, y), w.mean(1))


def test_sdd_consistency_follows_argmax_ties():
    # tied maxima: argmax takes the first, so the target is "correct" only
    # when it is the first of the tied classes
    s, t, y = make_cells(N=4, C=5, K=5)
    t = torch.zeros_like(t)
    t[:, 1, :2] = 1.0  # global cell and cell 1 predict class 1
    t[:, 3, 2:] = 1.0  # cells 2..4: classes 3 and 4 tie, argmax is 3
    t[:, 4, 2:] = 1.0
    y = torch.tensor([1, 3, 4, 4])
    loss = ScaleDecoupledLoss(loss=dict(type='KDLoss'),
                              complementary_weight=3.0, reduction='none')
    loss.loss.forward_rows = lambda a, b, c: torch.ones_like(a[:, 0])
    correct = t.argmax(1) == y[:, None]
    assert not correct[2:, 2:].any()  # tied with the argmax, not it
    w = torch.where(correct == correct[:, :1], 1.0, 3.0).double()
    torch.testing.assert_close(loss(s, t, y), w.mean(1))


def test_sdd_contract():
    s, t, y = make_cells(N=3, C=4, K=21)
    loss = ScaleDecoupledLoss()
    with pytest.raises(ValueError, match='target'):
        loss(s, t, None)
    with pytest.raises(ValueError, match=r'\(3, 4, 21\).*\(3, 4, 20\)'):
        loss(s, t[..., :20], y)
    with pytest.raises(ValueError, match=r'\[N, C, K\]'):
        loss(s[..., 0], t[..., 0], y)
    with pytest.raises(ValueError, match='reduction'):
        ScaleDecoupledLoss(reduction='avg')
    t1 = t.clone().requires_grad_()
    s1 = s.clone().requires_grad_()
    loss(s1, t1, y).backward()
    assert t1.grad is None and s1.grad is not None
    w = torch.tensor([1.0, 0.0, 2.0], dtype=torch.float64)
    per = loss(s, t, y, reduction_override='none')
    torch.testing.assert_close(loss(s, t, y, weight=w, avg_factor=4.0),
                               (per * w).sum() / 4.0)


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_sdd_low_precision(dtype):
    s, t, y = make_cells(N=3, C=8, K=21)
    s = s.to(dtype).requires_grad_()
    for inner in ('KDLoss', 'DKDLoss', 'NKDLoss', 'LDRLDLoss'):
        out = ScaleDecoupledLoss(loss=INNER[inner][0])(s, t.to(dtype), y)
        assert out.dtype == torch.float32 and torch.isfinite(out)
        g, = torch.autograd.grad(out, s)
        assert torch.isfinite(g.float()).all()


def test_sdd_skips_nonfinite_views():
    """Detection (GL-DKD): a view whose loss is not finite is left out and
    the finite views are averaged; the gradient stays finite."""
    s, t, y = make_cells(N=4, C=5, K=5)
    loss = ScaleDecoupledLoss(loss=INNER['KDLoss'][0],
                              complementary_weight=1.0,
                              skip_nonfinite_views=True)
    per_view = [kd_ref(s[..., k], t[..., k], 4.0).mean() for k in range(5)]
    torch.testing.assert_close(loss(s, t, y), torch.stack(per_view).mean())

    bad = s.clone()
    bad[1, 2, 3] = float('inf')  # view 3 becomes inf / nan on one row
    bad.requires_grad_()
    out = loss(bad, t, y)
    kept = [per_view[k] for k in (0, 1, 2, 4)]
    torch.testing.assert_close(out, torch.stack(kept).mean())
    grad, = torch.autograd.grad(out, bad)
    assert torch.isfinite(grad).all()
    assert (grad[..., 3] == 0).all() and (grad[..., :3] != 0).any()
    # without the switch the same input is not finite
    plain = ScaleDecoupledLoss(loss=INNER['KDLoss'][0],
                               complementary_weight=1.0)
    assert not torch.isfinite(plain(bad.detach(), t, y))
    # every view non-finite: 0, not nan
    allbad = s.clone()
    allbad[0] = float('nan')
    assert loss(allbad, t, y) == 0
