# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Checkpoints are written to a temporary file and renamed: a run killed
while saving keeps its previous checkpoint, and ``--resume`` only ever
picks a complete one."""
import glob
import os
import os.path as osp
import signal
from pathlib import Path

import pytest
import torch
from mmengine.fileio.backends import LocalBackend
from mmengine.runner.checkpoint import save_checkpoint

from mmlogitkd.utils import CorruptCheckpointError
from mmlogitkd.utils.checkpoint import (
    atomic_save,
    find_resumable_checkpoint,
    load_checkpoint_file,
)
from .test_checkpoint_payloads import load_tool, run_script, tiny_setup

#: Imported by the run through the config's custom_imports: the first write
#: to a file whose name holds KILL_ON_SAVE writes half its bytes, flushes
#: them to disk and SIGKILLs the process, as an OOM killer or a pre-empted
#: job would mid-save.
KILL_MODULE = '''
import builtins, os, signal

_open = builtins.open
TARGET = os.environ['KILL_ON_SAVE']


class _DiesHalfway:

    def __init__(self, f):
        self._f = f

    def write(self, data):
        self._f.write(data[:len(data) // 2])
        self._f.flush()
        os.fsync(self._f.fileno())
        os.kill(os.getpid(), signal.SIGKILL)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._f.__exit__(*exc)

    def __getattr__(self, name):
        return getattr(self._f, name)


def _open_dying(file, mode='r', *args, **kwargs):
    f = _open(file, mode, *args, **kwargs)
    if (isinstance(file, (str, os.PathLike)) and TARGET in os.fspath(file)
            and any(m in mode for m in 'wxa')):
        return _DiesHalfway(f)
    return f


builtins.open = _open_dying
'''


def test_local_backend_put_is_atomic():
    assert LocalBackend.put.__name__ == '_atomic_put'


def test_failed_write_keeps_the_previous_file(tmp_path):
    path = str(tmp_path / 'latest.pth')
    atomic_save({'w': torch.ones(3)}, path)
    before = Path(path).read_bytes()
    with pytest.raises(Exception):
        atomic_save({'w': torch.zeros(3), 'bad': lambda: None}, path)
    assert Path(path).read_bytes() == before
    assert os.listdir(tmp_path) == ['latest.pth']  # no temporary left
    # mmengine's save_checkpoint goes through the same path
    save_checkpoint({'state_dict': {'w': torch.full((3, ), 2.)}}, path)
    assert load_checkpoint_file(path)['state_dict']['w'][0] == 2
    assert os.listdir(tmp_path) == ['latest.pth']


def test_find_resumable_checkpoint_skips_broken_files(tmp_path):
    work = str(tmp_path)
    assert find_resumable_checkpoint(work) is None
    for epoch in (1, 2):
        atomic_save({'meta': {'epoch': epoch}}, osp.join(work,
                                                         f'epoch_{epoch}.pth'))
    with open(osp.join(work, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(work, 'epoch_2.pth'))
    assert find_resumable_checkpoint(work).endswith('epoch_2.pth')
    # a half-written epoch_3.pth, last_checkpoint naming it (a save without
    # the atomic rename), and a temporary left by a killed save
    data = Path(work, 'epoch_2.pth').read_bytes()
    with open(osp.join(work, 'epoch_3.pth'), 'wb') as f:
        f.write(data[:len(data) // 2])
    with open(osp.join(work, '.epoch_4.pth.999999.tmp'), 'wb') as f:
        f.write(data[:10])
    with open(osp.join(work, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(work, 'epoch_3.pth'))
    messages = []
    found = find_resumable_checkpoint(work, logger=messages.append)
    assert found.endswith('epoch_2.pth'), found
    assert any('epoch_3.pth' in m for m in messages)
    # last_checkpoint cut short while being rewritten
    open(osp.join(work, 'last_checkpoint'), 'w').close()
    assert find_resumable_checkpoint(work).endswith('epoch_2.pth')


@pytest.mark.e2e
def test_run_killed_while_saving_resumes_from_the_previous_checkpoint(
        tmp_path):
    setup = tiny_setup(tmp_path)
    work = str(tmp_path / 'work')
    (tmp_path / 'kill_on_save.py').write_text(KILL_MODULE)
    killing = str(tmp_path / 'distill_killed.py')
    with open(killing, 'w') as f:
        f.write(f"_base_ = ['{setup['config']}']\n"
                "custom_imports = dict(imports=['kill_on_save'], "
                'allow_failed_imports=False)\n')

    os.environ['KILL_ON_SAVE'] = 'epoch_2.pth'
    try:
        run = run_script('train.py', killing, '--work-dir', work,
                         pythonpath=[str(tmp_path)])
    finally:
        os.environ.pop('KILL_ON_SAVE')
    assert run.returncode == -signal.SIGKILL, run.stderr[-3000:]

    # the previous checkpoint is intact, and last_checkpoint names it
    epoch_1 = osp.join(work, 'epoch_1.pth')
    assert load_checkpoint_file(epoch_1)['meta']['epoch'] == 1
    with open(osp.join(work, 'last_checkpoint')) as f:
        assert f.read().strip().endswith('epoch_1.pth')
    # no half-written file under a checkpoint's name: the half went to a
    # hidden temporary, which a checkpoint loader says is broken
    assert not osp.exists(osp.join(work, 'epoch_2.pth'))
    partial = [n for n in os.listdir(work) if n.startswith('.epoch_2.pth')]
    assert len(partial) == 1, os.listdir(work)
    with pytest.raises(CorruptCheckpointError):
        load_checkpoint_file(osp.join(work, partial[0]))
    assert find_resumable_checkpoint(work) == epoch_1

    # --resume (in-process: the imports of a second subprocess cost more
    # than the training)
    load_tool('train.py').main([
        setup['config'], '--work-dir', work, '--resume', '--cfg-options',
        'experiment_name=reliability_killed_resumed'
    ])
    logs = glob.glob(osp.join(work, '*', '*.log'))
    assert any('resumed epoch: 1' in Path(log).read_text() for log in logs)
    assert load_checkpoint_file(osp.join(work,
                                         'epoch_2.pth'))['meta']['epoch'] == 2
    # the killed save's temporary was cleaned up by the next save
    assert not [n for n in os.listdir(work) if n.endswith('.tmp')]
