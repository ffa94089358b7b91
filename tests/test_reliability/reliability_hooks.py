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


def _proc_status_kib(field):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    return None


@HOOKS.register_module()
class MemoryTraceHook(Hook):
    """Records, for every epoch of training, this process's peak resident
    memory during the epoch (``VmHWM``, reset at the epoch's start through
    ``/proc/self/clear_refs`` where the kernel allows it) and its resident
    memory at the end (``VmRSS``), then writes them as
    ``memory_rank<rank>.json`` in the work dir. Linux only."""

    def __init__(self):
        self.trace = []
        self.resettable = False

    def before_train_epoch(self, runner):
        try:
            with open('/proc/self/clear_refs', 'w') as f:
                f.write('5')  # resets VmHWM to the current VmRSS
            self.resettable = True
        except OSError:
            self.resettable = False

    def after_train_epoch(self, runner):
        self.trace.append(
            dict(epoch=runner.epoch, peak_kib=_proc_status_kib('VmHWM'),
                 rss_kib=_proc_status_kib('VmRSS')))

    def after_train(self, runner):
        import json
        import os.path as osp

        from mmengine.dist import get_rank
        with open(osp.join(runner.work_dir,
                           f'memory_rank{get_rank()}.json'), 'w') as f:
            json.dump(dict(resettable=self.resettable, trace=self.trace), f)
