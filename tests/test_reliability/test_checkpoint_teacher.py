# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The frozen teacher is left out of distillation checkpoints unless
``save_teacher=True``; its checksum is recorded and checked when a
checkpoint is loaded back. ``student_ckpt`` initialises the student from a
plain host checkpoint, strictly, and wins over the student's init_cfg."""
import os.path as osp
import sys
import uuid

import pytest
import torch
from mmengine.runner import load_checkpoint

from mmlogitkd.distillers import TeacherMismatchError
from mmlogitkd.utils.checkpoint import state_dict_sha256
from .test_checkpoint_payloads import (
    build_distiller,
    classifier,
    load_tool,
    save_teacher,
    tiny_setup,
)

TESTS = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='module')
def teachers(tmp_path_factory):
    root = tmp_path_factory.mktemp('teachers')
    return (save_teacher(root / 'a.pth', seed=0),
            save_teacher(root / 'b.pth', seed=1))


def _teacher_state(path):
    return torch.load(path, weights_only=True)['state_dict']


def test_teacher_left_out_by_default_checksum_recorded(teachers, tmp_path):
    model = build_distiller(teacher_ckpt=teachers[0])
    state = model.state_dict()
    assert not any(k.startswith('teacher.') for k in state)
    assert any(k.startswith('student.') for k in state)
    assert not any(k.startswith('teacher') for k in state._metadata)
    digest = state_dict_sha256(_teacher_state(teachers[0]))
    assert state._metadata['']['teacher_sha256'] == digest
    assert state._metadata['']['teacher_saved'] is False
    # the teacher itself is untouched
    assert any(k.startswith('teacher.') for k, _ in model.named_parameters())

    kept = build_distiller(teacher_ckpt=teachers[0], save_teacher=True)
    state = kept.state_dict()
    for k, v in _teacher_state(teachers[0]).items():
        torch.testing.assert_close(state[f'teacher.{k}'], v, msg=k)
    assert state._metadata['']['teacher_sha256'] == digest


@pytest.mark.parametrize('save', [False, True])
def test_round_trip_same_teacher(teachers, tmp_path, save):
    """A checkpoint loads back strictly (mmengine's loader, as for resume,
    and torch's), with or without the teacher in it."""
    model = build_distiller(teacher_ckpt=teachers[0], save_teacher=save)
    with torch.no_grad():
        for p in model.student.parameters():
            p.add_(1.0)
    path = str(tmp_path / 'distill.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    fresh = build_distiller(teacher_ckpt=teachers[0])
    load_checkpoint(fresh, path, map_location='cpu', strict=True)
    for k, v in model.student.state_dict().items():
        torch.testing.assert_close(fresh.student.state_dict()[k], v, msg=k)
    fresh = build_distiller(teacher_ckpt=teachers[0])
    result = fresh.load_state_dict(
        torch.load(path, weights_only=True)['state_dict'], strict=True)
    assert not result.missing_keys and not result.unexpected_keys


@pytest.mark.parametrize('save', [False, True])
def test_different_teacher_fails_with_both_checksums(teachers, tmp_path,
                                                     save):
    model = build_distiller(teacher_ckpt=teachers[0], save_teacher=save)
    path = str(tmp_path / 'distill.pth')
    torch.save(dict(state_dict=model.state_dict()), path)
    other = build_distiller(teacher_ckpt=teachers[1])
    with pytest.raises(TeacherMismatchError) as info:
        load_checkpoint(other, path, map_location='cpu')
    message = str(info.value)
    assert state_dict_sha256(_teacher_state(teachers[0])) in message
    assert state_dict_sha256(_teacher_state(teachers[1])) in message
    assert teachers[1] in message and 'student_ckpt' in message


def test_partial_teacher_is_not_accepted(teachers, tmp_path):
    model = build_distiller(teacher_ckpt=teachers[0], save_teacher=True)
    state = model.state_dict()
    dropped = next(k for k in state if k.startswith('teacher.'))
    del state[dropped]
    fresh = build_distiller(teacher_ckpt=teachers[0])
    with pytest.raises(RuntimeError, match=dropped):
        fresh.load_state_dict(state, strict=True)


def test_distill_to_student_with_and_without_teacher(teachers, tmp_path):
    from mmlogitkd.models.converters import distill_to_student
    for save in (False, True):
        model = build_distiller(teacher_ckpt=teachers[0], save_teacher=save)
        src = str(tmp_path / f'distill_{save}.pth')
        torch.save(dict(state_dict=model.state_dict(), meta=dict()), src)
        dst = str(tmp_path / f'student_{save}.pth')
        distill_to_student(src, dst)
        out = torch.load(dst, weights_only=True)['state_dict']
        assert set(out) == set(model.student.state_dict())


@pytest.mark.e2e
def test_resume_with_another_teacher_fails(tmp_path):
    """tools/train.py --resume reloads the teacher from teacher_ckpt and
    checks it against the checkpoint's checksum."""
    setup = tiny_setup(tmp_path)
    train = load_tool('train.py')
    work = str(tmp_path / 'work')
    name = f'experiment_name=teacher_{uuid.uuid4().hex[:8]}'
    train.main([setup['config'], '--work-dir', work, '--cfg-options',
                'train_cfg.max_epochs=1', name])
    saved = torch.load(osp.join(work, 'epoch_1.pth'), weights_only=True)
    assert not any(k.startswith('teacher.') for k in saved['state_dict'])
    with pytest.raises(TeacherMismatchError) as info:
        train.main([setup['config'], '--work-dir', work, '--resume',
                    '--cfg-options', name + '_2',
                    f'model.teacher_ckpt={setup["other_teacher"]}'])
    for path in (setup['teacher_ckpt'], setup['other_teacher']):
        digest = state_dict_sha256(_teacher_state(path))
        assert digest in str(info.value)


# --------------------------------------------------------------------------
# student_ckpt
# --------------------------------------------------------------------------


def _student(seed):
    from mmlogitkd.distillers import build_host_model
    torch.manual_seed(seed)
    return build_host_model(classifier('resnet8'), 'student')


def test_student_ckpt_plain_and_distill_layouts(teachers, tmp_path):
    student = _student(seed=5)
    plain = str(tmp_path / 'student.pth')
    torch.save(dict(state_dict=student.state_dict(), meta=dict()), plain)
    # a torchreid-style file: 'state_dict' with DataParallel's prefix
    reid = str(tmp_path / 'student_dp.pth')
    torch.save(dict(state_dict={f'module.{k}': v for k, v in
                                student.state_dict().items()}, epoch=3),
               reid)
    previous = build_distiller(student_ckpt=plain)
    distill = str(tmp_path / 'distill.pth')
    torch.save(dict(state_dict=previous.state_dict()), distill)
    for path in (plain, reid, distill):
        model = build_distiller(teacher_ckpt=teachers[0], student_ckpt=path)
        model.init_weights()  # must not re-initialise the loaded student
        for k, v in student.state_dict().items():
            torch.testing.assert_close(model.student.state_dict()[k], v,
                                       msg=f'{path}: {k}')


def test_student_ckpt_wins_over_init_cfg(teachers, tmp_path):
    loaded, pretrained = _student(seed=5), _student(seed=6)
    paths = []
    for name, model in (('loaded', loaded), ('pretrained', pretrained)):
        paths.append(str(tmp_path / f'{name}.pth'))
        torch.save(dict(state_dict=model.state_dict()), paths[-1])
    student_cfg = classifier('resnet8')
    student_cfg['init_cfg'] = dict(type='Pretrained', checkpoint=paths[1])
    model = build_distiller(teacher_ckpt=teachers[0], student=student_cfg,
                            student_ckpt=paths[0])
    model.init_weights()
    for k, v in loaded.state_dict().items():
        torch.testing.assert_close(model.student.state_dict()[k], v, msg=k)
    # without student_ckpt, the init_cfg does run (the test is meaningful)
    model = build_distiller(teacher_ckpt=teachers[0], student=student_cfg)
    model.init_weights()
    weight = 'backbone.conv1.weight'
    torch.testing.assert_close(model.student.state_dict()[weight],
                               pretrained.state_dict()[weight])


def test_student_ckpt_misfit_lists_keys(teachers, tmp_path):
    from mmlogitkd.distillers import build_host_model
    other = build_host_model(classifier('resnet14'), 'student')
    path = str(tmp_path / 'resnet14.pth')
    torch.save(dict(state_dict=other.state_dict()), path)
    with pytest.raises(ValueError) as info:
        build_distiller(teacher_ckpt=teachers[0], student_ckpt=path)
    message = str(info.value)
    assert 'student_ckpt' in message and path in message
    assert 'unexpected keys' in message


def test_student_ckpt_detection(tmp_path):
    """mmdet layout into a DetLogitDistiller's student."""
    sys.path.insert(0, TESTS)
    from test_det.conftest import small_frcnn

    from mmlogitkd.distillers import DetLogitDistiller, build_host_model
    torch.manual_seed(4)
    student = build_host_model(small_frcnn(), 'student')
    path = str(tmp_path / 'frcnn_r18.pth')
    torch.save(dict(state_dict=student.state_dict(),
                    meta=dict(mmdet_version='3.3.0')), path)
    model = DetLogitDistiller(
        student=small_frcnn(), teacher=small_frcnn(), student_ckpt=path,
        distill_losses=dict(kd=dict(type='KDLoss', temperature=1.0)))
    model.init_weights()
    for k, v in student.state_dict().items():
        torch.testing.assert_close(model.student.state_dict()[k], v, msg=k)
