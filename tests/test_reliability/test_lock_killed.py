# Copyright (c) mmlogitkd contributors. All rights reserved.
"""A work-dir lock dies with its run: after a SIGKILL, the run's forked
children (DataLoader workers, which outlive it for a few seconds) do not
keep the work dir locked, so an immediate ``--resume`` is let in."""
import os
import signal
import subprocess
import sys

import pytest

from mmlogitkd.utils import lock_work_dir, unlock_work_dir
from .conftest import ROOT

#: takes the lock, then forks children that keep running, as a training
#: run's DataLoader workers do; prints their PIDs
FORK_CHILD = '''
import os, sys, time
sys.path.insert(0, {root!r})
from mmlogitkd.utils.work_dir_lock import lock_work_dir
lock_work_dir({work!r})
child = os.fork()
if child == 0:
    time.sleep(60)
    os._exit(0)
print('locked', child, flush=True)
time.sleep(120)
'''

DATALOADER_WORKERS = '''
import sys, time
sys.path.insert(0, {root!r})
import torch
from torch.utils.data import DataLoader, Dataset
from mmlogitkd.utils.work_dir_lock import lock_work_dir


class Slow(Dataset):
    def __len__(self):
        return 1000

    def __getitem__(self, i):
        time.sleep(0.05)
        return torch.zeros(1)


lock_work_dir({work!r})
loader = iter(DataLoader(Slow(), num_workers=2,
                         multiprocessing_context='fork'))
next(loader)
print('locked', *(w.pid for w in loader._workers), flush=True)
time.sleep(120)
'''


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize('script', ['fork', 'dataloader'])
def test_lock_is_free_right_after_sigkill(tmp_path, script):
    work = str(tmp_path / 'run')
    source = FORK_CHILD if script == 'fork' else DATALOADER_WORKERS
    proc = subprocess.Popen(
        [sys.executable, '-c',
         source.format(root=ROOT, work=work)],
        stdout=subprocess.PIPE,
        text=True)
    line = proc.stdout.readline().split()
    children = [int(pid) for pid in line[1:]]
    try:
        assert line[:1] == ['locked'] and children, line
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # the orphaned children still run, holding the inherited lock file
        assert all(_alive(pid) for pid in children)
        handle = lock_work_dir(work)  # an immediate restart (--resume)
        assert handle is not None
        unlock_work_dir(work)
    finally:
        proc.kill()
        proc.wait()
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
