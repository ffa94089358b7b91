# Copyright (c) mmlogitkd contributors. All rights reserved.
"""CTKD against independent float64 loop forms of the official code
(``zhengli97/CTKD``): the learned temperature, its reversed gradient, the
cosine curriculum of lambda, KD / DKD at the learned temperature, the
instance-wise variant and logit standardization."""
import math

import pytest
import torch
from mmengine.logging import MessageHub

from mmlogitkd.losses import CTKDLoss
from mmlogitkd.losses.ctkd_temperature import cosine_lambda, grad_reverse
from mmlogitkd.registry import MODELS
from mmlogitkd.testing import host_reads
from .reference import dkd_ref, kl, log_softmax, standardize
from .test_logit_losses import make_case


@pytest.fixture(autouse=True)
def no_epoch_info():
    """The message hub is global: leave no ``epoch`` behind."""
    hub = MessageHub.get_current_instance()
    saved = hub.runtime_info.pop('epoch', None)
    yield hub
    hub.runtime_info.pop('epoch', None)
    if saved is not None:
        hub.update_info('epoch', saved)


def official_decay_value(epoch, max_value=0.0, min_value=-1.0, loops=10):
    """``CosineDecay.get_value`` of the official ``train_student.py``."""
    i = min(max(epoch, 0), loops)
    value = (math.cos(i * math.pi / loops) + 1.0) * 0.5
    return value * (max_value - min_value) + min_value


def sigmoid(x):
    return torch.sigmoid(x)  # a primitive; the written-out form overflows


def kd_rows_ref(s, t, T):
    """Per-row T^2 KL with a per-row (or shared) temperature tensor."""
    rows = []
    for i in range(s.shape[0]):
        Ti = T[i] if T.dim() and T.numel() > 1 else T.reshape(())
        rows.append(
            kl(log_softmax(t[i] / Ti), log_softmax(s[i] / Ti)) * Ti * Ti)
    return torch.stack(rows)


def kl_loss_readme(s_row, t_row, T, eps=1e-7):
    """The official README's instance-wise ``KL_Loss`` for one row."""
    log_ps = log_softmax(s_row / T)
    p_t = torch.exp(log_softmax(t_row / T)) + eps
    return T * T * (p_t * (torch.log(p_t) - log_ps)).sum()


def test_curriculum_is_the_official_cosine_decay():
    for epoch in range(-1, 14):
        assert cosine_lambda(epoch) == pytest.approx(
            -official_decay_value(epoch), abs=1e-15)
        assert cosine_lambda(epoch, 1.0, 0.0, 5) == pytest.approx(
            -official_decay_value(epoch, loops=5), abs=1e-15)
    # the official first epoch (1-based) already reverses a little
    assert cosine_lambda(1) == pytest.approx(0.02447174185242318)


def test_lambda_from_the_message_hub(no_epoch_info):
    loss = CTKDLoss()
    assert loss.grl_lambda() == 1.0  # outside a runner
    for epoch in (0, 4, 9, 20):  # mmengine's 0-based epoch
        no_epoch_info.update_info('epoch', epoch)
        assert loss.grl_lambda() == pytest.approx(-official_decay_value(epoch +
                                                                        1))


def test_gradient_reversal():
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    w = torch.randn(3, 4, dtype=torch.float64)
    y = grad_reverse(x, 0.3)
    assert torch.equal(y, x)
    g, = torch.autograd.grad((y * w).sum(), x)
    torch.testing.assert_close(g, -0.3 * w)


@pytest.mark.parametrize('case', ['normal', 'large', 'small', 'one_row'])
@pytest.mark.parametrize('base', ['kd', 'dkd'])
@pytest.mark.parametrize('ls', [False, True])
@pytest.mark.parametrize('epoch', [0, 3, 15])
def test_global_matches_loop_reference(case, base, ls, epoch, no_epoch_info):
    s, t, y = make_case(case)
    no_epoch_info.update_info('epoch', epoch)
    lam = -official_decay_value(epoch + 1)
    loss = CTKDLoss(base=base,
                    alpha=1.5,
                    beta=6.0,
                    standardize=ls,
                    loss_weight=0.9).double()
    with torch.no_grad():
        loss.temperature_module.theta.fill_(0.3)
    s1 = s.clone().requires_grad_()
    ours = loss(s1, t, y)

    # reference: T = 1 + 20 sigmoid(theta), the loss by loops
    theta = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    s2 = s.clone().requires_grad_()
    T = 1 + 20 * sigmoid(theta)
    a, b = (standardize(s2), standardize(t)) if ls else (s2, t)
    rows = kd_rows_ref(a, b, T) if base == 'kd' else dkd_ref(
        a, b, y, 1.5, 6.0, T)
    ref = 0.9 * rows.mean()
    torch.testing.assert_close(ours, ref, rtol=1e-10, atol=1e-12)
    g_s, g_theta = torch.autograd.grad(ref, (s2, theta))
    ours.backward()
    torch.testing.assert_close(s1.grad, g_s, rtol=1e-9, atol=1e-12)
    # the temperature gets the reversed, lambda-scaled gradient
    torch.testing.assert_close(loss.temperature_module.theta.grad,
                               (-lam * g_theta).reshape(1),
                               rtol=1e-9,
                               atol=1e-12)
    T_logged = loss.extra_log_vars()['temperature']
    torch.testing.assert_close(T_logged, T.detach().float())


@pytest.mark.parametrize('case', ['normal', 'large', 'one_row'])
@pytest.mark.parametrize('ls', [False, True])
def test_instance_matches_readme_loop(case, ls, no_epoch_info):
    s, t, _ = make_case(case)
    N, C = s.shape
    no_epoch_info.update_info('epoch', 2)
    lam = -official_decay_value(3)
    torch.manual_seed(0)
    loss = CTKDLoss(mode='instance',
                    num_classes=C,
                    hidden_channels=8,
                    t_start=2.0,
                    t_end=30.0,
                    standardize=ls).double()
    mlp = loss.temperature_module.mlp
    s1 = s.clone().requires_grad_()
    ours = loss(s1, t)

    # reference: per row, the MLP by hand on [t_i, s_i] (detached inputs),
    # T_i = 2 + 30 sigmoid(.), the README's KL_Loss, mean over rows
    W1, b1 = mlp[0].weight.detach().clone().requires_grad_(), \
        mlp[0].bias.detach().clone().requires_grad_()
    W2, b2 = mlp[2].weight.detach().clone().requires_grad_(), \
        mlp[2].bias.detach().clone().requires_grad_()
    s2 = s.clone().requires_grad_()
    a, b = (standardize(s2), standardize(t)) if ls else (s2, t)
    total, temps = 0, []
    for i in range(N):
        x = torch.cat((b[i], a[i])).detach()
        h = torch.clamp(W1 @ x + b1, min=0)
        Ti = 2 + 30 * sigmoid((W2 @ h + b2)[0])
        temps.append(Ti)
        total = total + kl_loss_readme(a[i], b[i], Ti)
    ref = total / N
    torch.testing.assert_close(ours, ref, rtol=1e-10, atol=1e-12)
    grads = torch.autograd.grad(ref, (s2, W1, b1, W2, b2))
    ours.backward()
    torch.testing.assert_close(s1.grad, grads[0], rtol=1e-9, atol=1e-12)
    for p, g in zip((mlp[0].weight, mlp[0].bias, mlp[2].weight, mlp[2].bias),
                    grads[1:]):
        torch.testing.assert_close(p.grad, -lam * g, rtol=1e-8, atol=1e-14)
    torch.testing.assert_close(loss.extra_log_vars()['temperature'],
                               torch.stack(temps).mean().detach().float())


def test_temperature_bounds_and_initial_value():
    loss = CTKDLoss()
    s, t, _ = make_case('normal')
    loss(s.float(), t.float())
    # official Global_T starts at theta = 1: T = 1 + 20 sigmoid(1)
    assert loss.extra_log_vars()['temperature'].item() == pytest.approx(
        1 + 20 / (1 + math.exp(-1)), rel=1e-6)
    with torch.no_grad():
        loss.temperature_module.theta.fill_(-1e3)
    loss(s.float(), t.float())
    assert loss.extra_log_vars()['temperature'].item() == pytest.approx(1.0)


def test_registry_and_argument_errors():
    loss = MODELS.build(dict(type='CTKDLoss', base='dkd'))
    assert loss.requires_target and not CTKDLoss().requires_target
    assert CTKDLoss().extra_log_vars() == {}
    with pytest.raises(ValueError, match='num_classes'):
        CTKDLoss(mode='instance')
    with pytest.raises(ValueError, match="'global' or 'instance'"):
        CTKDLoss(mode='pixel')
    with pytest.raises(ValueError, match="'kd' or 'dkd'"):
        CTKDLoss(base='nkd')
    with pytest.raises(ValueError, match='t_start'):
        CTKDLoss(t_start=0.0)
    with pytest.raises(ValueError, match='target'):
        CTKDLoss(base='dkd')(torch.randn(3, 5), torch.randn(3, 5))
    with pytest.raises(ValueError, match='built for 7'):
        CTKDLoss(mode='instance', num_classes=7)(torch.randn(3, 5),
                                                 torch.randn(3, 5))


@pytest.mark.parametrize('cfg', [
    dict(),
    dict(base='dkd', standardize=True),
    dict(mode='instance', num_classes=10),
])
def test_no_host_reads(cfg, no_epoch_info):
    no_epoch_info.update_info('epoch', 4)
    loss = CTKDLoss(**cfg)
    s, t, y = make_case('normal')
    s = s.float().requires_grad_()
    with host_reads():
        out = loss(s, t.float(), y)
        out.backward()
        loss.extra_log_vars()
