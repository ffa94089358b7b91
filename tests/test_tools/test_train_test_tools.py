# Copyright (c) mmlogitkd contributors. All rights reserved.
"""tools/train.py, tools/test.py, tools/dist_train.sh and the student
converter, end to end on a tiny generated folder dataset."""
import json
import os
import os.path as osp
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from dist_launch import run_dist_train

from .conftest import CLASSIFIER, NUM_CLASSES, ROOT

# whole training runs (pytest.ini)
pytestmark = pytest.mark.e2e

HERE = osp.dirname(osp.abspath(__file__))


def run(cmd, timeout=600):
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [HERE, ROOT, env.get('PYTHONPATH', '')])
    env['PYTHON'] = sys.executable
    result = subprocess.run(
        cmd, capture_output=True, text=True, env=env, timeout=timeout,
        cwd=ROOT)
    assert result.returncode == 0, (result.stdout[-3000:] +
                                    result.stderr[-5000:])
    return result.stdout + result.stderr


def test_train_then_test_then_extract_student(tiny_setup):
    work = str(tiny_setup['root'] / 'single')
    log = run([
        sys.executable, 'tools/train.py', tiny_setup['config'], '--work-dir',
        work
    ])
    assert 'loss_distill_kd' in log and 'loss_distill_ldrld' in log
    ckpt = osp.join(work, 'epoch_2.pth')
    assert osp.isfile(ckpt)

    # the frozen teacher is not saved (save_teacher=False), only the
    # checksum of the one we gave it
    from mmlogitkd.utils.checkpoint import state_dict_sha256
    state = torch.load(ckpt, weights_only=True)['state_dict']
    teacher = torch.load(tiny_setup['teacher_ckpt'],
                         weights_only=True)['state_dict']
    assert not any(k.startswith('teacher.') for k in state)
    assert state._metadata['']['teacher_sha256'] == state_dict_sha256(
        teacher)

    out = run([
        sys.executable, 'tools/test.py', tiny_setup['config'], ckpt,
        '--work-dir', work, '--out',
        osp.join(work, 'metrics.json')
    ])
    metrics = json.loads(Path(work, 'metrics.json').read_text())
    assert 0 <= metrics['accuracy/top1'] <= 100, out

    # --resume continues from the last checkpoint (the teacher reloaded
    # from teacher_ckpt and checked); with save_teacher=True the teacher is
    # in the checkpoint, and is the one we gave it
    log = run([
        sys.executable, 'tools/train.py', tiny_setup['config'], '--work-dir',
        work, '--resume', '--cfg-options', 'train_cfg.max_epochs=3',
        'model.save_teacher=True'
    ])
    assert 'resumed epoch: 2' in log
    assert osp.isfile(osp.join(work, 'epoch_3.pth'))
    state = torch.load(osp.join(work, 'epoch_3.pth'),
                       weights_only=True)['state_dict']
    for k, v in teacher.items():
        torch.testing.assert_close(state[f'teacher.{k}'], v, msg=k)

    # the student alone, as a plain mmpretrain checkpoint
    student_ckpt = osp.join(work, 'student.pth')
    run([
        sys.executable, 'tools/model_converters/distill_to_student.py',
        osp.join(work, 'epoch_3.pth'), student_ckpt
    ])
    from mmengine.runner import load_checkpoint

    from mmlogitkd.distillers import build_host_model
    student = build_host_model(
        eval(CLASSIFIER.format(arch='resnet8', classes=NUM_CLASSES)),
        'student').eval()
    load_checkpoint(student, student_ckpt, strict=True)
    full = torch.load(osp.join(work, 'epoch_3.pth'),
                      weights_only=True)['state_dict']
    for k, v in student.state_dict().items():
        torch.testing.assert_close(v, full[f'student.{k}'], msg=k)

    # tools/test.py scores the same student from either checkpoint (here
    # one holding the teacher too), without the teacher's file (the
    # distiller's teacher is never built)
    scores = []
    for name, path in (('distill', osp.join(work, 'epoch_3.pth')),
                       ('student', student_ckpt)):
        out = osp.join(work, f'{name}_metrics.json')
        run([
            sys.executable, 'tools/test.py', tiny_setup['config'], path,
            '--work-dir', work, '--out', out, '--cfg-options',
            'model.teacher_ckpt=/nowhere/teacher.pth'
        ])
        scores.append(json.loads(Path(out).read_text()))
    assert scores[0] == scores[1]
    # ... and refuses a checkpoint that is neither (here: the teacher's)
    result = subprocess.run([
        sys.executable, 'tools/test.py', tiny_setup['config'],
        tiny_setup['teacher_ckpt'], '--work-dir', work
    ], capture_output=True, text=True, cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join([HERE, ROOT])))
    assert result.returncode != 0
    assert 'does not match the student' in result.stderr
    assert 'unexpected keys' in result.stderr


def test_missing_data_fails_before_training(tiny_setup, tmp_path):
    result = subprocess.run([
        sys.executable, 'tools/train.py', tiny_setup['config'], '--work-dir',
        str(tmp_path), '--cfg-options',
        'train_dataloader.dataset.data_root=/nonexistent/cifar'
    ],
                            capture_output=True,
                            text=True,
                            cwd=ROOT,
                            env=dict(
                                os.environ,
                                PYTHONPATH=os.pathsep.join([HERE, ROOT])))
    assert result.returncode != 0
    assert 'train_dataloader.dataset.data_root' in result.stderr
    assert '/nonexistent/cifar' in result.stderr


@pytest.mark.skipif(
    not hasattr(torch.distributed, 'is_available')
    or not torch.distributed.is_available(),
    reason='torch.distributed not built')
def test_dist_train_two_cpu_ranks_train_the_same_model(tiny_setup):
    work = str(tiny_setup['root'] / 'dist')
    run_dist_train(tiny_setup['config'], work, port=29500, pythonpath=(HERE, ))
    rank0 = torch.load(osp.join(work, 'rank0.pth'), weights_only=True)
    rank1 = torch.load(osp.join(work, 'rank1.pth'), weights_only=True)
    assert rank0.keys() == rank1.keys()
    for k in rank0:
        torch.testing.assert_close(rank0[k], rank1[k], msg=k)
    # what rank 0 saved is that model, and it did train
    epoch_1 = torch.load(osp.join(work, 'epoch_1.pth'),
                         weights_only=True)['state_dict']
    epoch_2 = torch.load(osp.join(work, 'epoch_2.pth'),
                         weights_only=True)['state_dict']
    for k in rank0:
        torch.testing.assert_close(epoch_2[k], rank0[k], msg=k)
    assert any(not torch.equal(epoch_1[k], epoch_2[k]) for k in rank0
               if k.startswith('student.'))
