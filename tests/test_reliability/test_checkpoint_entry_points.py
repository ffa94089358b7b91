# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Every way a checkpoint enters the toolkit reads it through the one safe
loading function: ``teacher_ckpt`` and ``student_ckpt`` (distiller),
``load_from`` and ``--resume`` (tools/train.py), tools/test.py and the
three converters. For each: a file whose pickle would create a file is
refused with the file named and nothing run; broken files are reported as
broken; the one opt-in switch loads a trusted file.

The tools run in-process (``main(argv)``): a refusal happens before any
model or runner is built, so each check takes well under a second."""
import glob
import os.path as osp
import uuid

import numpy as np
import pytest
import torch

from mmlogitkd.utils import CorruptCheckpointError, UnsafeCheckpointError
from .test_checkpoint_payloads import (  # noqa: F401
    BROKEN_KINDS,
    PAYLOADS,
    assert_refused,
    assert_reported_broken,
    broken_files,
    build_distiller,
    classifier,
    harmless,
    load_tool,
    save_detectron2,
    save_with,
    tiny_setup,
)


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    return tiny_setup(tmp_path_factory.mktemp('entry'))


def _teacher_weights(setup):
    return torch.load(setup['teacher_ckpt'], weights_only=True)['state_dict']


def _student_weights(seed=3):
    from mmlogitkd.distillers import build_host_model
    torch.manual_seed(seed)
    return build_host_model(classifier('resnet8'), 'student').state_dict()


def _experiment():
    # one in-process Runner per name: mmengine keeps loggers and message
    # hubs by experiment name
    return f'experiment_name=reliability_{uuid.uuid4().hex[:8]}'


@pytest.fixture(scope='module')
def trained(setup):
    """One epoch of tools/train.py, in-process: a real distillation
    checkpoint (optimizer, schedulers, message hub) to resume from."""
    work = osp.join(setup['root'], 'trained')
    load_tool('train.py').main([
        setup['config'], '--work-dir', work, '--cfg-options',
        'train_cfg.max_epochs=1', _experiment()
    ])
    return osp.join(work, 'epoch_1.pth')


# --------------------------------------------------------------------------
# teacher_ckpt / student_ckpt (the distiller, at build time)
# --------------------------------------------------------------------------


@pytest.mark.parametrize('role', ['teacher_ckpt', 'student_ckpt'])
@pytest.mark.parametrize('payload', sorted(PAYLOADS))
def test_distiller_refuses_unsafe(setup, tmp_path, role, payload):
    marker = tmp_path / 'marker'
    weights = (_teacher_weights(setup)
               if role == 'teacher_ckpt' else _student_weights())
    path = save_with(tmp_path / 'evil.pth', weights,
                     PAYLOADS[payload](marker))
    with pytest.raises(UnsafeCheckpointError) as info:
        build_distiller(**{role: path})
    assert_refused(info.value, path, payload, marker)
    assert role in str(info.value)
    assert 'model.allow_unsafe_checkpoint=True' in str(info.value)


@pytest.mark.parametrize('role', ['teacher_ckpt', 'student_ckpt'])
@pytest.mark.parametrize('kind', BROKEN_KINDS)
def test_distiller_reports_broken(setup, tmp_path, role, kind):
    path = broken_files(tmp_path, setup['teacher_ckpt'])[kind]
    with pytest.raises(CorruptCheckpointError) as info:
        build_distiller(**{role: path})
    assert_reported_broken(info.value, path)


@pytest.mark.parametrize('role', ['teacher_ckpt', 'student_ckpt'])
def test_distiller_opt_in(setup, tmp_path, harmless, role):
    Harmless, _ = harmless
    weights = (_teacher_weights(setup)
               if role == 'teacher_ckpt' else _student_weights())
    path = save_with(tmp_path / 'trusted.pth', weights, Harmless())
    with pytest.raises(UnsafeCheckpointError, match='Harmless'):
        build_distiller(**{role: path})
    model = build_distiller(**{role: path, 'allow_unsafe_checkpoint': True})
    loaded = (model.teacher if role == 'teacher_ckpt' else
              model.student).state_dict()
    for k, v in weights.items():
        torch.testing.assert_close(loaded[k], v, msg=k)


# --------------------------------------------------------------------------
# load_from / --resume (tools/train.py)
# --------------------------------------------------------------------------


def _train(setup, work, *options, resume=None):
    args = [setup['config'], '--work-dir', str(work)]
    if resume is not None:
        args += ['--resume'] + ([resume] if resume != 'auto' else [])
    args += ['--cfg-options', _experiment(), *options]
    load_tool('train.py').main(args)


@pytest.mark.parametrize('payload', sorted(PAYLOADS))
def test_train_refuses_unsafe_load_from_and_resume(setup, tmp_path, payload):
    marker = tmp_path / 'marker'
    evil = save_with(tmp_path / 'evil.pth', _student_weights(),
                     PAYLOADS[payload](marker))
    work = tmp_path / 'work'
    for how in ('load_from', 'resume', 'auto'):
        with pytest.raises(UnsafeCheckpointError) as info:
            if how == 'load_from':
                _train(setup, work, f'load_from={evil}')
            elif how == 'resume':
                _train(setup, work, resume=evil)
            else:  # --resume alone, last_checkpoint naming the file
                work.mkdir(exist_ok=True)
                (work / 'last_checkpoint').write_text(evil)
                _train(setup, work, resume='auto')
        assert_refused(info.value, evil, payload, marker)
        assert 'allow_unsafe_checkpoint=True' in str(info.value)
    # refused before the runner was built: no run folder was made
    assert not glob.glob(str(work / '2*'))


@pytest.mark.parametrize('kind', BROKEN_KINDS)
def test_train_reports_broken_load_from_and_resume(setup, tmp_path, kind):
    path = broken_files(tmp_path, setup['teacher_ckpt'])[kind]
    for option, resume in ((f'load_from={path}', None), (None, path)):
        with pytest.raises(CorruptCheckpointError) as info:
            _train(setup, tmp_path / 'work', *filter(None, [option]),
                   resume=resume)
        assert_reported_broken(info.value, path)


@pytest.mark.e2e
def test_train_opt_in_resume_and_load_from(setup, tmp_path, harmless,
                                           trained):
    """``allow_unsafe_checkpoint=True`` (top level) lets exactly the file of
    ``--resume`` / ``load_from`` through; training then goes on."""
    Harmless, _ = harmless
    checkpoint = torch.load(trained, weights_only=True)
    checkpoint['meta']['extra'] = Harmless()
    trusted = str(tmp_path / 'trusted.pth')
    torch.save(checkpoint, trusted)
    work = tmp_path / 'resumed'
    with pytest.raises(UnsafeCheckpointError, match='Harmless'):
        _train(setup, work, resume=trusted)
    _train(setup, work, 'allow_unsafe_checkpoint=True', resume=trusted)
    resumed = torch.load(work / 'epoch_2.pth', weights_only=True)
    assert resumed['meta']['epoch'] == 2  # went on from epoch 1
    assert not (work / 'epoch_1.pth').exists()
    work = tmp_path / 'loaded'
    _train(setup, work, 'allow_unsafe_checkpoint=True',
           f'load_from={trusted}', 'train_cfg.max_epochs=1')
    assert (work / 'epoch_1.pth').is_file()


# --------------------------------------------------------------------------
# tools/test.py
# --------------------------------------------------------------------------


def _test(setup, path, *extra):
    load_tool('test.py').main([
        setup['config'],
        str(path), '--work-dir',
        osp.join(setup['root'], 'test'), *extra, '--cfg-options',
        _experiment()
    ])


@pytest.mark.parametrize('payload', sorted(PAYLOADS))
def test_test_tool_refuses_unsafe(setup, tmp_path, payload):
    marker = tmp_path / 'marker'
    evil = save_with(tmp_path / 'evil.pth', _student_weights(),
                     PAYLOADS[payload](marker))
    with pytest.raises(UnsafeCheckpointError) as info:
        _test(setup, evil)
    assert_refused(info.value, evil, payload, marker)
    assert '--allow-unsafe-checkpoint' in str(info.value)


@pytest.mark.parametrize('kind', BROKEN_KINDS)
def test_test_tool_reports_broken(setup, tmp_path, kind):
    path = broken_files(tmp_path, setup['teacher_ckpt'])[kind]
    with pytest.raises(CorruptCheckpointError) as info:
        _test(setup, path)
    assert_reported_broken(info.value, path)


def test_test_tool_opt_in(setup, tmp_path, harmless, capsys):
    Harmless, _ = harmless
    trusted = save_with(tmp_path / 'trusted.pth', _student_weights(),
                        Harmless())
    _test(setup, trusted, '--allow-unsafe-checkpoint')
    assert 'accuracy/top1' in capsys.readouterr().out


# --------------------------------------------------------------------------
# tools/model_converters
# --------------------------------------------------------------------------


def _convert(tool, capsys, *args):
    code = load_tool(f'model_converters/{tool}').main([str(a) for a in args])
    return code, capsys.readouterr().err


def _distill_checkpoint(setup):
    state = {f'student.{k}': v for k, v in _student_weights().items()}
    state.update(
        {f'teacher.{k}': v
         for k, v in _teacher_weights(setup).items()})
    return state


def _mdistiller_state():
    """resnet8 in RepDistiller's names (no renames for this family)."""
    ours = _student_weights()
    state = {
        k[len('backbone.'):]: v
        for k, v in ours.items() if k.startswith('backbone.')
    }
    state['fc.weight'] = ours['head.fc.weight']
    state['fc.bias'] = ours['head.fc.bias']
    return state


CONVERTERS = {
    'distill_to_student.py': (_distill_checkpoint, 'mmengine', ()),
    'mdistiller_to_mmlogitkd.py': (lambda setup: _mdistiller_state(),
                                   'mdistiller', ('--arch', 'resnet8')),
}


@pytest.mark.parametrize('tool', sorted(CONVERTERS))
@pytest.mark.parametrize('payload', sorted(PAYLOADS))
def test_converters_refuse_unsafe(setup, tmp_path, capsys, tool, payload):
    make, layout, extra = CONVERTERS[tool]
    marker = tmp_path / 'marker'
    evil = save_with(tmp_path / 'evil.pth', make(setup),
                     PAYLOADS[payload](marker), layout)
    dst = tmp_path / 'out.pth'
    code, err = _convert(tool, capsys, evil, dst, *extra)
    assert code == 1 and not dst.exists()
    assert evil in err and payload in err and '--allow-unsafe-checkpoint' \
        in err, err
    assert not marker.exists()


@pytest.mark.parametrize('tool', sorted(CONVERTERS))
@pytest.mark.parametrize('kind', BROKEN_KINDS)
def test_converters_report_broken(setup, tmp_path, capsys, tool, kind):
    _, _, extra = CONVERTERS[tool]
    path = broken_files(tmp_path, setup['teacher_ckpt'])[kind]
    code, err = _convert(tool, capsys, path, tmp_path / 'out.pth', *extra)
    assert code == 1 and path in err, err
    assert 'Refused' not in err and 'weights_only=False' not in err
    assert 'not a checkpoint' in err or 'truncated' in err


@pytest.mark.parametrize('tool', sorted(CONVERTERS))
def test_converters_opt_in(setup, tmp_path, capsys, harmless, tool):
    Harmless, _ = harmless
    make, layout, extra = CONVERTERS[tool]
    trusted = save_with(tmp_path / 'trusted.pth', make(setup), Harmless(),
                        layout)
    dst = tmp_path / 'out.pth'
    code, err = _convert(tool, capsys, trusted, dst, *extra)
    assert code == 1 and 'Harmless' in err
    code, err = _convert(tool, capsys, trusted, dst, *extra,
                         '--allow-unsafe-checkpoint')
    assert code == 0, err
    out = torch.load(dst, weights_only=True)['state_dict']
    for k, v in _student_weights().items():
        if k.startswith('backbone.'):
            torch.testing.assert_close(out[k], v, msg=k)


@pytest.mark.parametrize('payload', sorted(PAYLOADS))
def test_detectron2_converter(tmp_path, capsys, harmless, payload):
    marker = tmp_path / 'marker'
    arrays = {'backbone.bottom_up.stem.conv1.weight':
              np.zeros((64, 3, 7, 7), np.float32)}
    evil = save_detectron2(tmp_path / 'evil.pkl', arrays,
                           PAYLOADS[payload](marker))
    dst = tmp_path / 'out.pth'
    code, err = _convert('detectron2_to_mmdet.py', capsys, evil, dst)
    assert code == 1 and not dst.exists() and not marker.exists()
    assert evil in err and payload in err
    assert '--allow-unsafe-checkpoint' in err
    # broken
    for kind, path in broken_files(tmp_path, evil).items():
        code, err = _convert('detectron2_to_mmdet.py', capsys, path, dst)
        assert code == 1 and path in err, (kind, err)
        assert 'refused' not in err.lower(), (kind, err)
    # opt-in: the file loads; this one-tensor state then fails conversion
    # (a real R-50/101 state is the converter's own test), not loading
    Harmless, _ = harmless
    trusted = save_detectron2(tmp_path / 'trusted.pkl', arrays, Harmless())
    code, err = _convert('detectron2_to_mmdet.py', capsys, trusted, dst,
                         '--allow-unsafe-checkpoint')
    assert code == 1 and 'refused' not in err.lower()
    assert 'blocks per stage' in err, err
