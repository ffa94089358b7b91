# Copyright (c) mmlogitkd contributors. All rights reserved.
"""CTKD and MLKD inside the distillers: CTKD's temperature is a parameter
of the distiller that the optimizer updates, saved in checkpoints, logged
every iteration, and trained against the loss (reversed gradient); the
two-view path of MLKD gives the losses the weak and strong logits of the
same images."""
import copy
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper

from mmlogitkd.losses import MLKDLoss
from mmlogitkd.losses.ctkd_temperature import cosine_lambda
from mmlogitkd.registry import MODELS
from .conftest import NUM_CLASSES, classifier_cfg, make_batch

DATA_PREPROCESSOR = dict(mean=[120.] * 3, std=[60.] * 3)


@pytest.fixture(autouse=True)
def fresh_message_hub():
    hub = MessageHub.get_current_instance()
    hub.runtime_info.pop('epoch', None)
    hub.runtime_info.pop('iter', None)
    yield hub
    hub.runtime_info.pop('epoch', None)


def build(teacher_ckpt, losses, typ='ClsLogitDistiller', **kwargs):
    return MODELS.build(
        dict(
            type=typ,
            student=classifier_cfg('resnet8'),
            teacher=classifier_cfg('resnet14'),
            teacher_ckpt=teacher_ckpt,
            distill_losses=losses,
            data_preprocessor=DATA_PREPROCESSOR,
            **kwargs))


def sgd(model, lr=0.1):
    return build_optim_wrapper(
        model,
        dict(
            constructor='DistillOptimWrapperConstructor',
            optimizer=dict(type='SGD', lr=lr)))


CTKD = dict(ctkd=dict(type='CTKDLoss', loss_weight=0.9))


def test_ctkd_temperature_is_optimised_logged_and_saved(
        teacher_ckpt, fresh_message_hub):
    model = build(teacher_ckpt, CTKD)
    theta = model.distill_losses['ctkd'].temperature_module.theta
    optim = sgd(model)
    assert any(p is theta for g in optim.optimizer.param_groups
               for p in g['params'])
    assert not any(p is q for g in optim.optimizer.param_groups
                   for p in g['params'] for q in model.teacher.parameters())
    fresh_message_hub.update_info('epoch', 0)
    batch, _ = make_batch()
    before = theta.detach().clone()
    log_vars = model.train_step(copy.deepcopy(batch), optim)
    assert {'loss', 'loss_distill_ctkd', 'ctkd_temperature'} <= set(log_vars)
    assert log_vars['ctkd_temperature'].item() == pytest.approx(
        1 + 20 * torch.sigmoid(before).item(), rel=1e-6)
    assert not torch.equal(theta.detach(), before)  # the optimizer moved it

    # checkpoints keep it: a fresh distiller loads it strictly
    state = model.state_dict()
    key = 'distill_losses.ctkd.temperature_module.theta'
    assert key in state
    other = build(teacher_ckpt, CTKD)
    other.load_state_dict(state, strict=True)
    torch.testing.assert_close(
        other.distill_losses['ctkd'].temperature_module.theta, theta)


@pytest.mark.parametrize('epoch', [0, 4, 30])
def test_ctkd_gradient_reverses_the_loss_gradient(teacher_ckpt, epoch,
                                                  fresh_message_hub):
    """dL/dtheta seen by the optimizer is -lambda times the loss's own
    derivative (measured by finite differences): theta ascends the loss."""
    model = build(teacher_ckpt, CTKD).eval()  # deterministic BN
    model.double()
    fresh_message_hub.update_info('epoch', epoch)
    lam = cosine_lambda(epoch + 1)
    theta = model.distill_losses['ctkd'].temperature_module.theta
    batch, _ = make_batch()
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    inputs = data['inputs'].double()

    def distill_loss():
        return model(inputs, data['data_samples'],
                     mode='loss')['loss_distill_ctkd']

    grad, = torch.autograd.grad(distill_loss(), theta)
    eps = 1e-5
    with torch.no_grad():
        theta += eps
        up = distill_loss()
        theta -= 2 * eps
        down = distill_loss()
        theta += eps
    derivative = (up - down) / (2 * eps)
    assert derivative.abs() > 1e-6
    torch.testing.assert_close(grad, (-lam * derivative).reshape(1),
                               rtol=1e-5, atol=1e-9)


def stacked_batch(n=4, size=16, seed=0, num_views=2):
    """Weak and strong views stacked on the height axis, as StackViews
    makes them, with ``num_views`` in the metainfo."""
    batch, labels = make_batch(n, size, seed)
    g = torch.Generator().manual_seed(seed + 1)
    strong = torch.randint(0, 256, (n, 3, size, size), generator=g).float()
    batch['inputs'] = [
        torch.cat((weak, s), dim=1)
        for weak, s in zip(batch['inputs'], strong)
    ]
    for sample in batch['data_samples']:
        sample.set_metainfo(dict(num_views=num_views))
    return batch, labels


def test_two_view_path(teacher_ckpt):
    model = build(
        teacher_ckpt,
        dict(mlkd=dict(type='MLKDLoss', loss_weight=0.9)),
        typ='MultiViewClsDistiller').train()
    batch, labels = stacked_batch()
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    inputs, samples = data['inputs'], data['data_samples']
    assert inputs.shape == (4, 3, 32, 16)
    torch.manual_seed(0)
    losses = model(inputs, samples, mode='loss')
    assert {'loss', 'loss_distill_mlkd', 'mlkd_instance', 'mlkd_batch',
            'mlkd_class'} <= set(losses)

    # by hand: views split on the height axis, weak rows first; the
    # student sees one view at a time (its BN statistics per view)
    weak, strong = inputs[:, :, :16], inputs[:, :, 16:]
    s = torch.cat((model.student(weak, mode='tensor'),
                   model.student(strong, mode='tensor')))
    with torch.no_grad():
        t = model.teacher(torch.cat((weak, strong)), mode='tensor')
    mixed = model.student(torch.cat((weak, strong)), mode='tensor')
    assert not torch.allclose(mixed, s)  # BN: one batch is not two
    ce = F.cross_entropy(s[:4], labels) + F.cross_entropy(s[4:], labels)
    torch.testing.assert_close(losses['loss'], ce)
    torch.testing.assert_close(losses['loss_distill_mlkd'],
                               MLKDLoss(loss_weight=0.9)(s, t))

    # a training step runs and logs the levels
    log_vars = model.train_step(copy.deepcopy(batch), sgd(model, 0.01))
    assert all(math.isfinite(v.item()) for v in log_vars.values())
    assert 'mlkd_class' in log_vars


def test_two_view_path_refuses_single_views(teacher_ckpt):
    model = build(
        teacher_ckpt,
        dict(mlkd=dict(type='MLKDLoss')),
        typ='MultiViewClsDistiller').train()
    batch, _ = make_batch(4)  # one view, no num_views
    data = model.data_preprocessor(batch, True)
    with pytest.raises(ValueError, match='StackViews'):
        model(data['inputs'], data['data_samples'], mode='loss')
    assert model.num_views == 2
    # predict / tensor modes are the student's own, on single views
    out = model(data['inputs'], data['data_samples'], mode='tensor')
    assert out.shape == (4, NUM_CLASSES)
