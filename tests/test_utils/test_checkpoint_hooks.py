# Copyright (c) mmlogitkd contributors. All rights reserved.
"""mmengine's checkpoint hooks are installed by an explicit call, not by
``import mmlogitkd``; checkpoint formats other than torch.save's are
registered by the module that reads them."""
import os.path as osp
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from mmlogitkd.utils import load_checkpoint_file, register_checkpoint_reader

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: run in a fresh interpreter: tests/conftest.py installs the hooks here
PROBE = '''
import torch
from mmengine.fileio.backends import LocalBackend
from mmengine.runner.checkpoint import CheckpointLoader
import mmlogitkd
import mmlogitkd.apis

def state():
    return (LocalBackend.put.__name__,
            CheckpointLoader._schemes[''].__name__,
            'HistoryBuffer' in str(torch.serialization.get_safe_globals()))

print(state())
from mmlogitkd.utils import install_checkpoint_hooks
install_checkpoint_hooks()
install_checkpoint_hooks()  # again: no change
print(state())
'''


def test_hooks_need_the_explicit_call():
    out = subprocess.run([sys.executable, '-c', PROBE],
                         capture_output=True,
                         text=True,
                         cwd=ROOT,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    before, after = out.stdout.strip().splitlines()[-2:]
    assert before == "('put', 'load_from_local', False)"
    assert after == "('_atomic_put', 'load_from_local_safe', True)"


def test_registered_reader(tmp_path, monkeypatch):
    from mmlogitkd.utils import checkpoint
    # registrations of this test end with it
    monkeypatch.setattr(checkpoint, '_READERS', dict(checkpoint._READERS))
    path = tmp_path / 'notes.txt'
    path.write_text('hello\n')
    with pytest.raises(ValueError, match='test-text'):
        load_checkpoint_file(str(path), fmt='test-text')
    register_checkpoint_reader('test-text',
                               lambda p, allow_unsafe: Path(p).read_text())
    assert load_checkpoint_file(str(path), fmt='test-text') == 'hello\n'
    with pytest.raises(ValueError):
        register_checkpoint_reader('torch', lambda p, allow_unsafe: None)


def test_safe_loading_does_not_depend_on_the_hooks(tmp_path):
    """The allow-list for one call leaves the process's allow-list as it
    was (torch's context manager alone would drop what the hooks added)."""
    from mmengine.logging import MessageHub
    hub = MessageHub.get_instance('test_safe_loading_hooks')
    hub.update_scalar('train/loss', 0.5)
    path = str(tmp_path / 'mm.pth')
    torch.save(dict(message_hub=hub.state_dict()), path)
    before = set(torch.serialization.get_safe_globals())
    assert 'message_hub' in load_checkpoint_file(
        path, safe_globals=[MessageHub])
    assert set(torch.serialization.get_safe_globals()) == before
