# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Test-only hooks for tools/train.py runs, steered by environment variables
so that one config serves every run of a test:

- ``KILL_AT=<epoch>:<batch>``: SIGKILL this process after that iteration
  (0-based epoch and batch index), i.e. mid-epoch, as a crash would;
- ``POISON_AT=<epoch>:<batch>[:once]``: from that iteration on (``once``:
  for that iteration only) every distillation loss weight is NaN.
"""
import os
import signal

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


def _at(name):
    value = os.environ.get(name)
    if not value:
        return None
    parts = value.split(':')
    return int(parts[0]), int(parts[1]), parts[2:] == ['once']


@HOOKS.register_module()
class KillAtHook(Hook):

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        at = _at('KILL_AT')
        if at is not None and (runner.epoch, batch_idx) == at[:2]:
            os.kill(os.getpid(), signal.SIGKILL)


@HOOKS.register_module()
class PoisonLossHook(Hook):

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        at = _at('POISON_AT')
        if at is None:
            return
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        here, start = (runner.epoch, batch_idx), at[:2]
        poisoned = here == start if at[2] else here >= start
        for loss in model.distill_losses.values():
            if not hasattr(loss, '_clean_weight'):
                loss._clean_weight = loss.loss_weight
            loss.loss_weight = (float('nan')
                                if poisoned else loss._clean_weight)
