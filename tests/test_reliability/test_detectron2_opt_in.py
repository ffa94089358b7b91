# Copyright (c) mmlogitkd contributors. All rights reserved.
"""A Detectron2 ``.pkl`` given where a ``torch.save`` checkpoint belongs
(``teacher_ckpt``, ``load_from``) is refused naming the converter command,
whether or not ``allow_unsafe_checkpoint`` is set; the opt-in never
unpickles a file that cannot be a checkpoint, so a booby-trapped one runs
nothing."""
import os.path as osp
import pickle

import numpy as np
import pytest

from mmlogitkd.utils import CorruptCheckpointError, UnsafeCheckpointError
from mmlogitkd.utils.checkpoint import (
    check_checkpoint_file,
    load_checkpoint_file,
)
from .conftest import build_distiller
from .test_checkpoint_payloads import (
    PAYLOADS,
    harmless,  # noqa: F401 (a fixture)
    save_detectron2,
)

CONVERTER = 'python tools/model_converters/detectron2_to_mmdet.py'


def _arrays():
    return {
        'backbone.bottom_up.stem.conv1.weight':
        np.zeros((64, 3, 7, 7), np.float32),
        'roi_heads.box_predictor.cls_score.bias': np.zeros(81, np.float32)
    }


def _bare_payload(path, marker, payload='system', protocol=2):
    """A ``.pkl`` that is nothing but the payload."""
    with open(path, 'wb') as f:
        pickle.dump(PAYLOADS[payload](marker), f, protocol=protocol)
    return str(path)


def _assert_converter_named(err, path):
    message = str(err)
    assert isinstance(err, CorruptCheckpointError), repr(err)
    assert f'{CONVERTER} {path} ' in message, message
    assert 'allow_unsafe_checkpoint=True' not in message, message


@pytest.mark.parametrize('protocol', [0, 2, 4])
@pytest.mark.parametrize('allow_unsafe', [False, True])
def test_detectron2_pkl_as_teacher_ckpt(tmp_path, allow_unsafe, protocol):
    """The distiller's teacher_ckpt (the same loader for every task)."""
    path = str(tmp_path / 'model_final_f6e8b1.pkl')
    with open(path, 'wb') as f:
        pickle.dump({'model': _arrays(), '__author__': 'Detectron2 Model Zoo',
                     'matching_heuristics': True}, f, protocol=protocol)
    with pytest.raises(CorruptCheckpointError) as info:
        build_distiller(teacher_ckpt=path,
                        allow_unsafe_checkpoint=allow_unsafe)
    _assert_converter_named(info.value, path)
    assert 'Detectron2 model-zoo checkpoint' in str(info.value)
    assert osp.join(str(tmp_path), 'model_final_f6e8b1_mmdet.pth') in str(
        info.value)


@pytest.mark.parametrize('payload', sorted(PAYLOADS))
@pytest.mark.parametrize('layout', ['detectron2', 'bare'])
def test_booby_trapped_pkl_with_opt_in_runs_nothing(tmp_path, payload,
                                                    layout):
    marker = tmp_path / 'marker'
    path = str(tmp_path / 'evil.pkl')
    if layout == 'detectron2':  # Detectron2's layout, the payload inside
        save_detectron2(path, _arrays(), PAYLOADS[payload](marker))
    else:
        _bare_payload(path, marker, payload)
    with pytest.raises(CorruptCheckpointError) as info:
        build_distiller(teacher_ckpt=path, allow_unsafe_checkpoint=True)
    _assert_converter_named(info.value, path)
    assert 'not unpickled' in str(info.value)
    assert not marker.exists(), 'the payload ran'
    # load_from / --resume of tools/train.py: its early check and the load
    with pytest.raises(CorruptCheckpointError) as info:
        check_checkpoint_file(path, allow_unsafe=True, what='load_from')
    _assert_converter_named(info.value, path)
    with pytest.raises(CorruptCheckpointError):
        load_checkpoint_file(path, allow_unsafe=True)
    assert not marker.exists(), 'the payload ran'


@pytest.mark.parametrize('protocol', [2, 4, 5])
def test_plain_pickle_never_unpickled_with_opt_in(tmp_path, protocol):
    """Any pickle without torch's header: the opt-in would run it and then
    fail on the header, so it is refused first; without the opt-in it is
    refused as unsafe, without advising an opt-in that cannot help."""
    marker = tmp_path / 'marker'
    path = _bare_payload(tmp_path / 'evil.pth', marker, protocol=protocol)
    with pytest.raises(CorruptCheckpointError, match='not unpickled'):
        load_checkpoint_file(path, allow_unsafe=True)
    with pytest.raises(UnsafeCheckpointError) as info:
        load_checkpoint_file(path, opt_in='set allow_unsafe_checkpoint=True')
    assert 'system' in str(info.value)
    assert 'allow_unsafe_checkpoint=True' not in str(info.value)
    assert 'plain pickle, not a torch.save checkpoint' in str(info.value)
    assert not marker.exists(), 'the payload ran'


def test_legacy_torch_files_still_load_with_opt_in(tmp_path, harmless):
    """torch.save's legacy (non-zip) format starts with its header: the
    opt-in still reads a trusted one."""
    import torch
    Harmless, _ = harmless
    path = str(tmp_path / 'legacy.pth')
    torch.save(dict(state_dict={'w': torch.ones(2)}, meta=Harmless(3)),
               path, _use_new_zipfile_serialization=False)
    with pytest.raises(UnsafeCheckpointError, match='Harmless'):
        load_checkpoint_file(path)
    assert load_checkpoint_file(path, allow_unsafe=True)['meta'] == Harmless(3)


def test_converter_opt_in_refuses_other_formats(tmp_path, harmless):
    """``detectron2_to_mmdet.py --allow-unsafe-checkpoint`` unpickles only a
    file laid out as Detectron2 writes it."""
    from mmlogitkd.models.converters import ConversionError
    marker = tmp_path / 'marker'
    path = _bare_payload(tmp_path / 'evil.pkl', marker)
    with pytest.raises(ConversionError, match='not unpickled'):
        load_checkpoint_file(path, fmt='detectron2', allow_unsafe=True)
    assert not marker.exists(), 'the payload ran'
    Harmless, _ = harmless
    trusted = save_detectron2(tmp_path / 'trusted.pkl', _arrays(),
                              Harmless(5))
    loaded = load_checkpoint_file(trusted, fmt='detectron2',
                                  allow_unsafe=True)
    assert loaded['__author__'] == Harmless(5)
