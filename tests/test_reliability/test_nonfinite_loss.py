# Copyright (c) mmlogitkd contributors. All rights reserved.
"""A non-finite loss or gradient never reaches the weights: it stops the
run naming the iteration, the loss and the last checkpoint
(``nonfinite_loss='raise'``), or the iteration is skipped and counted
(``'skip'``)."""
import os.path as osp

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper

from .conftest import build_distiller, make_batch, ok, student_weights, train


def _setup(**kwargs):
    model = build_distiller(**kwargs)
    model.train()
    optim = OptimWrapper(
        torch.optim.SGD(model.student.parameters(), lr=0.1, momentum=0.9))
    return model, optim


def _state(model):
    """Weights and buffers (BN statistics) of the student."""
    return {k: v.clone() for k, v in model.student.state_dict().items()}


def _weights(model):
    return {k: v.clone() for k, v in model.student.named_parameters()}


def _same(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


def test_raise_names_iteration_loss_and_checkpoint():
    model, optim = _setup()
    log = model.train_step(make_batch(), optim)  # read back: host tensors
    assert all(v.device.type == 'cpu' for v in log.values())
    hub = MessageHub.get_current_instance()
    hub.update_info('iter', 41)
    hub.update_info('epoch', 2)
    hub.update_info('last_ckpt', 'work_dirs/x/epoch_2.pth')
    model.distill_losses['kd'].loss_weight = float('nan')
    before = _weights(model)
    with pytest.raises(FloatingPointError) as err:
        model.train_step(make_batch(seed=1), optim)
    msg = str(err.value)
    assert 'iteration 42 (epoch 3)' in msg
    assert 'loss_distill_kd' in msg
    assert 'work_dirs/x/epoch_2.pth' in msg
    assert _same(before, _weights(model))
    hub.runtime_info.pop('last_ckpt')
    with pytest.raises(FloatingPointError, match='none yet'):
        model.train_step(make_batch(seed=1), optim)


def test_non_finite_gradient_with_a_finite_loss():
    """lr=1e9-style blow-ups show up as inf gradients first."""
    model, optim = _setup()
    weight = model.student.head.fc.weight
    handle = weight.register_hook(lambda g: g * float('inf'))
    before = _weights(model)
    with pytest.raises(FloatingPointError, match='gradients'):
        model.train_step(make_batch(), optim)
    assert _same(before, _weights(model))
    handle.remove()


def test_skip_leaves_weights_and_buffers_and_counts():
    model, optim = _setup(nonfinite_loss='skip')
    model.train_step(make_batch(), optim)
    before = _state(model)  # BN statistics included
    model.distill_losses['kd'].loss_weight = float('nan')
    log = model.train_step(make_batch(seed=1), optim)
    assert dict(log) == {'skipped_nonfinite': 1.0}
    assert _same(before, _state(model))
    assert all(p.grad is None or not p.grad.any()
               for p in model.student.parameters())
    model.distill_losses['kd'].loss_weight = 1.0
    log = model.train_step(make_batch(seed=2), optim)
    assert log['skipped_nonfinite'] == 1 and torch.isfinite(log['loss'])
    assert not _same(before, _state(model))


def test_gradient_accumulation_still_steps_on_schedule():
    model = build_distiller()
    model.train()
    optim = OptimWrapper(
        torch.optim.SGD(model.student.parameters(), lr=0.1),
        accumulative_counts=2)
    optim.initialize_count_status(model, 0, 4)
    before = _weights(model)
    model.train_step(make_batch(), optim)
    assert _same(before, _weights(model))  # accumulating
    model.train_step(make_batch(seed=1), optim)
    assert not _same(before, _weights(model))


def test_distributed_wrappers_are_checked_in_parse_losses():
    """MMDistributedDataParallel calls parse_losses, then its own
    update_params: a non-finite loss stops it before the backward pass."""
    model = build_distiller(nonfinite_loss='skip')
    loss, log = model.parse_losses(dict(loss=torch.tensor(1.0)))
    assert dict(log) == {'loss': 1.0}
    with pytest.raises(FloatingPointError, match='cannot skip'):
        model.parse_losses(
            dict(loss=torch.tensor(1.0), loss_distill_kd=torch.tensor(
                float('inf'))))


def test_bad_mode():
    with pytest.raises(ValueError, match='nonfinite_loss'):
        build_distiller(nonfinite_loss='ignore')


@pytest.mark.e2e
def test_tools_train_raise_and_skip(quickstart, tmp_path):
    """A NaN loss weight from epoch 2 on: the run stops with the message,
    and what it saved is finite; the same NaN for one iteration with
    'skip': the run ends, finite, and the log counts the skip."""
    work = tmp_path / 'raise'
    result = train(quickstart, work, '--no-validate',
                   env=dict(POISON_AT='1:1'))
    assert result.returncode != 0
    assert 'FloatingPointError' in result.stderr
    assert 'iteration 6 (epoch 2): loss_distill_kd' in result.stderr
    assert str(work / 'epoch_1.pth') in result.stderr
    assert not osp.exists(work / 'epoch_2.pth')
    for v in student_weights(work / 'epoch_1.pth').values():
        assert torch.isfinite(v.float()).all()

    work = tmp_path / 'skip'
    log = ok(
        train(quickstart, work, '--no-validate', '--cfg-options',
              'model.nonfinite_loss=skip', env=dict(POISON_AT='1:1:once')))
    assert 'Skipped iteration 6 (epoch 2)' in log
    assert 'skipped_nonfinite: 1.0000' in log
    for v in student_weights(work / 'epoch_3.pth').values():
        assert torch.isfinite(v.float()).all()
