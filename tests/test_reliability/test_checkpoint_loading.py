# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The one checkpoint loading function: unsafe files refused (nothing runs),
broken files reported as broken, an explicit opt-in for trusted files; the
same through mmengine's loader (load_from / resume) and for Detectron2
pickles."""
import pickle

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.runner import load_checkpoint

import mmlogitkd  # noqa: F401  (mmengine's loaders: tests/conftest.py)
from mmlogitkd.utils import (
    CheckpointError,
    CorruptCheckpointError,
    UnsafeCheckpointError,
)
from mmlogitkd.utils.checkpoint import (
    check_checkpoint_file,
    load_checkpoint_file,
    state_dict_sha256,
    trusted_checkpoints,
)
from .test_checkpoint_payloads import (  # noqa: F401
    BROKEN_KINDS,
    PAYLOADS,
    assert_refused,
    assert_reported_broken,
    broken_files,
    harmless,
    save_detectron2,
    save_with,
)


def _weights():
    return nn.Linear(3, 2).state_dict()


@pytest.fixture
def good(tmp_path):
    path = str(tmp_path / 'good.pth')
    torch.save(dict(state_dict=_weights(), meta=dict(epoch=1)), path)
    return path


@pytest.mark.parametrize('payload', sorted(PAYLOADS))
@pytest.mark.parametrize('legacy', [False, True])
def test_unsafe_refused_nothing_runs(tmp_path, payload, legacy):
    marker = tmp_path / 'marker'
    path = str(tmp_path / 'evil.pth')
    torch.save(dict(state_dict=_weights(), meta=PAYLOADS[payload](marker)),
               path, _use_new_zipfile_serialization=not legacy)
    with pytest.raises(UnsafeCheckpointError) as info:
        load_checkpoint_file(path, what='teacher_ckpt',
                             opt_in='set model.allow_unsafe_checkpoint=True')
    assert_refused(info.value, path, payload, marker)
    assert 'teacher_ckpt' in str(info.value)
    assert 'model.allow_unsafe_checkpoint=True' in str(info.value)
    # still a pickle error, as before, for callers that catch that
    assert isinstance(info.value, pickle.UnpicklingError)
    # the quick look tools/train.py takes refuses it too, without loading
    with pytest.raises(UnsafeCheckpointError):
        check_checkpoint_file(path)
    assert not marker.exists()


@pytest.mark.parametrize('payload', sorted(PAYLOADS))
def test_plain_pickle_protocol_4_refused(tmp_path, payload):
    """Not torch.save: pickle.dump with STACK_GLOBAL, which torch's
    weights-only unpickler reports as an 'unsupported operand'."""
    marker = tmp_path / 'marker'
    path = str(tmp_path / 'evil.pkl')
    with open(path, 'wb') as f:
        pickle.dump({'state_dict': _weights(), 'x': PAYLOADS[payload](marker)},
                    f, protocol=4)
    with pytest.raises(UnsafeCheckpointError) as info:
        load_checkpoint_file(path)
    assert_refused(info.value, path, payload, marker)


@pytest.mark.parametrize('kind', BROKEN_KINDS)
def test_broken_files_reported_as_broken(tmp_path, good, kind):
    path = broken_files(tmp_path, good)[kind]
    for allow_unsafe in (False, True):  # broken either way, never "unsafe"
        with pytest.raises(CorruptCheckpointError) as info:
            load_checkpoint_file(path, allow_unsafe=allow_unsafe)
        assert_reported_broken(info.value, path)
    with pytest.raises(CorruptCheckpointError):
        check_checkpoint_file(path)
    # through mmengine's loader (load_from, resume, init_cfg) as well
    with pytest.raises(CorruptCheckpointError) as info:
        load_checkpoint(nn.Linear(3, 2), path, map_location='cpu')
    assert_reported_broken(info.value, path)


def test_damaged_pickle_inside_a_zip(tmp_path, good):
    """A complete zip whose pickle bytes are damaged: broken, not unsafe."""
    import zipfile
    path = str(tmp_path / 'damaged.pth')
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, 'w') as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith('data.pkl'):
                data = data[:2] + b'\xfe\xfe\xfe' + data[5:]
            dst.writestr(info, data)
    with pytest.raises(CorruptCheckpointError) as info:
        load_checkpoint_file(path)
    assert_reported_broken(info.value, path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='student_ckpt'):
        load_checkpoint_file(str(tmp_path / 'nope.pth'), what='student_ckpt')


def test_opt_in_loads_a_trusted_file(tmp_path, harmless):
    Harmless, _ = harmless
    path = save_with(tmp_path / 'trusted.pth', _weights(), Harmless(7))
    with pytest.raises(UnsafeCheckpointError, match='Harmless'):
        load_checkpoint_file(path)
    loaded = load_checkpoint_file(path, allow_unsafe=True)
    assert loaded['meta']['extra'] == Harmless(7)
    # extra types for one call only (what the mdistiller converter does for
    # argparse.Namespace), the allow-list itself unchanged
    loaded = load_checkpoint_file(path, safe_globals=[Harmless])
    assert loaded['meta']['extra'] == Harmless(7)
    with pytest.raises(UnsafeCheckpointError):
        load_checkpoint_file(path)


def test_mmengine_loader_is_the_same_function(tmp_path, harmless):
    """load_from / resume read through mmengine's CheckpointLoader, which
    now is load_checkpoint_file; only files named by trusted_checkpoints
    (tools/train.py with allow_unsafe_checkpoint=True) skip the
    allow-list."""
    Harmless, _ = harmless
    marker = tmp_path / 'marker'
    evil = save_with(tmp_path / 'evil.pth', _weights(),
                     PAYLOADS['system'](marker))
    trusted = save_with(tmp_path / 'trusted.pth', _weights(), Harmless())
    with pytest.raises(UnsafeCheckpointError) as info:
        load_checkpoint(nn.Linear(3, 2), evil, map_location='cpu')
    assert_refused(info.value, evil, 'system', marker)
    assert 'allow_unsafe_checkpoint=True' in str(info.value)
    with pytest.raises(UnsafeCheckpointError):
        load_checkpoint(nn.Linear(3, 2), trusted, map_location='cpu')
    with trusted_checkpoints([trusted]):
        load_checkpoint(nn.Linear(3, 2), trusted, map_location='cpu')
        # only that file
        with pytest.raises(UnsafeCheckpointError):
            load_checkpoint(nn.Linear(3, 2), evil, map_location='cpu')
    with pytest.raises(UnsafeCheckpointError):
        load_checkpoint(nn.Linear(3, 2), trusted, map_location='cpu')
    assert not marker.exists()


def test_mmengine_checkpoints_still_load(tmp_path):
    """numpy values and mmengine's HistoryBuffer are on the allow-list."""
    from mmengine.logging import MessageHub
    hub = MessageHub.get_instance('reliability_loading')
    hub.update_scalar('train/loss', 0.5)
    path = str(tmp_path / 'mm.pth')
    torch.save(
        dict(state_dict=_weights(), message_hub=hub.state_dict(),
             meta=dict(seed=np.int64(3), arr=np.arange(3))), path)
    check_checkpoint_file(path)
    loaded = load_checkpoint_file(path)
    assert loaded['meta']['seed'] == 3


@pytest.mark.parametrize('payload', sorted(PAYLOADS))
def test_detectron2_through_the_same_entry_point(tmp_path, payload,
                                                 harmless):
    from mmlogitkd.models.converters import ConversionError
    marker = tmp_path / 'marker'
    arrays = {'w': np.zeros((2, 2), np.float32)}
    evil = save_detectron2(tmp_path / 'evil.pkl', arrays,
                           PAYLOADS[payload](marker))
    with pytest.raises(UnsafeCheckpointError) as info:
        load_checkpoint_file(evil, fmt='detectron2',
                             opt_in='pass --allow-unsafe-checkpoint')
    assert_refused(info.value, evil, payload, marker)
    assert isinstance(info.value, ConversionError)  # as before
    assert 'pass --allow-unsafe-checkpoint' in str(info.value)
    # broken .pkl files: the same error type as broken torch files
    text = tmp_path / 'notes.pkl'
    text.write_text('hello\n')
    with pytest.raises(CorruptCheckpointError) as info:
        load_checkpoint_file(str(text), fmt='detectron2')
    assert str(text) in str(info.value)
    # opt-in
    Harmless, _ = harmless
    trusted = save_detectron2(tmp_path / 'trusted.pkl', arrays, Harmless(2))
    loaded = load_checkpoint_file(trusted, fmt='detectron2',
                                  allow_unsafe=True)
    assert loaded['__author__'] == Harmless(2)


def test_error_types():
    assert issubclass(UnsafeCheckpointError, CheckpointError)
    assert issubclass(CorruptCheckpointError, CheckpointError)
    assert issubclass(CorruptCheckpointError, ValueError)
    assert not issubclass(CorruptCheckpointError, pickle.UnpicklingError)


def test_state_dict_sha256_is_order_and_device_free():
    a = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)).state_dict()
    b = type(a)(reversed(list(a.items())))
    assert state_dict_sha256(a) == state_dict_sha256(b)
    b = {k: v.clone() for k, v in a.items()}
    assert state_dict_sha256(a) == state_dict_sha256(b)
    b['0.weight'][0, 0] += 1
    assert state_dict_sha256(a) != state_dict_sha256(b)
