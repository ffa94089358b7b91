# Copyright (c) mmlogitkd contributors. All rights reserved.
"""One training run per work dir: a second one fails at once, naming the
work dir and the process that holds it; the ranks of one distributed run do
not lock each other out."""
import os
import subprocess
import sys

import pytest

from mmlogitkd.utils import WorkDirLockedError, lock_work_dir, unlock_work_dir
from .conftest import ROOT, train

HOLD = ('import sys, time; sys.path.insert(0, {root!r}); '
        'from mmlogitkd.utils.work_dir_lock import lock_work_dir; '
        'lock_work_dir({work!r}); print("locked", flush=True); '
        'time.sleep(120)')


@pytest.fixture
def holder(tmp_path):
    """Another process holding the lock of ``tmp_path / 'run'``."""
    work = str(tmp_path / 'run')
    proc = subprocess.Popen(
        [sys.executable, '-c',
         HOLD.format(root=ROOT, work=work)],
        stdout=subprocess.PIPE,
        text=True)
    assert proc.stdout.readline().strip() == 'locked'
    yield work, proc
    proc.kill()
    proc.wait()


def test_second_process_fails_naming_dir_and_pid(holder):
    work, proc = holder
    with pytest.raises(WorkDirLockedError) as err:
        lock_work_dir(work)
    msg = str(err.value)
    assert work in msg and f'PID {proc.pid}' in msg
    proc.kill()
    proc.wait()  # the system releases the lock of a killed process
    handle = lock_work_dir(work)
    assert handle is not None
    assert lock_work_dir(work) is handle  # re-entrant in one process
    unlock_work_dir(work)


def test_only_global_rank_zero_locks(holder, monkeypatch):
    work, _ = holder
    monkeypatch.setenv('RANK', '1')
    assert lock_work_dir(work, launcher='pytorch') is None
    monkeypatch.setenv('RANK', '0')
    with pytest.raises(WorkDirLockedError):
        lock_work_dir(work, launcher='pytorch')
    monkeypatch.delenv('RANK')
    monkeypatch.setenv('SLURM_PROCID', '3')
    assert lock_work_dir(work, launcher='slurm') is None


@pytest.mark.e2e
def test_tools_train_refuses_a_busy_work_dir(holder, quickstart):
    work, proc = holder
    result = train(quickstart, work, '--no-validate', timeout=120)
    assert result.returncode != 0
    assert 'WorkDirLockedError' in result.stderr
    assert f'The work dir "{work}" is in use' in result.stderr
    assert f'PID {proc.pid}' in result.stderr
    assert not any(name.endswith('.pth') for name in os.listdir(work))
