# Copyright (c) mmlogitkd contributors. All rights reserved.
"""``nonfinite_loss='skip'`` does not let a run that skips most of its
iterations end as if it had trained: past ``nonfinite_max_skips`` it stops
as ``'raise'`` does, naming the counts, the bound and the last checkpoint;
rare isolated skips never reach the bound."""
import os.path as osp

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper

from mmlogitkd.distillers.nonfinite_guard import DEFAULT_MAX_SKIPS, SkipBound
from .conftest import build_distiller, make_batch, ok, train


def _setup(**kwargs):
    model = build_distiller(nonfinite_loss='skip', **kwargs)
    model.train()
    optim = OptimWrapper(torch.optim.SGD(model.student.parameters(), lr=0.1))
    return model, optim


def _poison(model, poisoned):
    model.distill_losses['kd'].loss_weight = float('nan') if poisoned else 1.


def _weights(model):
    return {k: v.clone() for k, v in model.student.named_parameters()}


def test_rare_isolated_skips_never_reach_the_default_bound():
    bound = SkipBound.from_cfg(DEFAULT_MAX_SKIPS)
    # one skip every 5 iterations (20%), far more than rare spikes
    for it in range(10000):
        assert bound.record(it % 5 == 0) is None
    # bursts of 9 in a row, then a clean iteration
    bound = SkipBound.from_cfg(dict(share=None))
    for it in range(1000):
        assert bound.record(it % 10 != 9) is None


def test_consecutive_and_share_bounds():
    bound = SkipBound.from_cfg(dict(consecutive=5))
    assert [bound.record(True) for _ in range(4)] == [None] * 4
    message = bound.record(True)
    assert message.startswith('5 of the last 5 iterations skipped, the last '
                              '5 in a row')
    assert 'consecutive=5' in message
    # every other iteration: more than 25 of the last 100
    bound = SkipBound.from_cfg({})
    passed = [bound.record(it % 2 == 0) for it in range(100)]
    first = next(it for it, p in enumerate(passed) if p)
    assert first == 50  # the 26th skip
    assert passed[first].startswith('26 of the last 51 iterations skipped')
    assert 'share=0.25 of the last window=100' in passed[first]
    # old skips leave the window
    bound = SkipBound.from_cfg(dict(consecutive=None, share=0.5, window=4))
    assert [bound.record(s) for s in (1, 1, 0, 0, 0, 1, 0)] == [None] * 7
    assert bound.record(True) is None and bound.record(True) is not None


@pytest.mark.parametrize(
    'cfg, match',
    [(dict(consecutive=0), 'consecutive'), (dict(share=1.5), 'share'),
     (dict(window=0), 'window'), (dict(windows=10), 'unknown key'),
     ([5], 'must be a dict')])
def test_bad_bounds_are_refused_at_build(cfg, match):
    with pytest.raises((ValueError, TypeError), match=match):
        build_distiller(nonfinite_loss='skip', nonfinite_max_skips=cfg)


def test_mostly_non_finite_run_stops_naming_the_counts():
    model, optim = _setup(nonfinite_max_skips=dict(consecutive=4))
    hub = MessageHub.get_current_instance()
    hub.update_info('last_ckpt', 'work_dirs/x/epoch_1.pth')
    hub.update_info('epoch', 1)
    model.train_step(make_batch(), optim)
    before = _weights(model)
    _poison(model, True)
    for it in range(1, 4):
        hub.update_info('iter', it)
        assert model.train_step(make_batch(seed=it), optim)[
            'skipped_nonfinite'] == it
    hub.update_info('iter', 4)
    with pytest.raises(FloatingPointError) as err:
        model.train_step(make_batch(seed=4), optim)
    msg = str(err.value)
    assert 'iteration 5 (epoch 2)' in msg
    assert '4 of the last 5 iterations skipped, the last 4 in a row' in msg
    assert "'consecutive': 4" in msg and '4 skipped in all' in msg
    assert 'work_dirs/x/epoch_1.pth' in msg
    assert all(torch.equal(before[k], v)
               for k, v in _weights(model).items())


def test_one_isolated_non_finite_iteration_completes():
    model, optim = _setup()  # the default bound
    for it in range(30):
        _poison(model, it == 7)
        log = model.train_step(make_batch(seed=it), optim)
    assert log['skipped_nonfinite'] == 1 and torch.isfinite(log['loss'])


def test_no_bound():
    model, optim = _setup(nonfinite_max_skips=None)
    _poison(model, True)
    for it in range(12):
        log = model.train_step(make_batch(seed=it), optim)
    assert log['skipped_nonfinite'] == 12


@pytest.mark.e2e
def test_tools_train_stops_a_run_that_skips_most_iterations(
        quickstart, tmp_path):
    """The issue's run: a NaN loss from the second iteration on, with
    'skip' and the default bound: 12 iterations, the tenth skip in a row
    stops it (exit code not 0), naming the counts and the last checkpoint,
    and nothing is saved after it."""
    work = tmp_path / 'skip'
    result = train(quickstart, work, '--no-validate', '--cfg-options',
                   'model.nonfinite_loss=skip', env=dict(POISON_AT='0:1'))
    assert result.returncode != 0, result.stdout[-2000:]
    assert 'FloatingPointError' in result.stderr
    assert ('stopped the run at iteration 11 (epoch 3): 10 of the last 11 '
            'iterations skipped, the last 10 in a row') in result.stderr
    assert str(work / 'epoch_2.pth') in result.stderr
    assert not osp.exists(work / 'epoch_3.pth')
    # the same run with the bound lifted ends (what the bound prevents)
    ok(train(quickstart, tmp_path / 'unbounded', '--no-validate',
             '--cfg-options', 'model.nonfinite_loss=skip',
             'model.nonfinite_max_skips=None', env=dict(POISON_AT='0:1')))
