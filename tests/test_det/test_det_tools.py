# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The headline detection config end to end on generated COCO-format
digits: tools/train.py, tools/test.py on both checkpoints, the exported
student in mmdet alone, and a 2-process tools/dist_train.sh run."""
import json
import os
import os.path as osp
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from dist_launch import run_dist_train

# whole training runs (pytest.ini)
pytestmark = pytest.mark.e2e

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

CONFIG = """
_base_ = ['{root}/configs/ldrld/frcnn_r101_r18_coco.py']
data_root = '{data}/'
metainfo = dict(classes=tuple(str(i) for i in range(10)))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(64, 64), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(64, 64), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor'))
]
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val2017.json')
test_evaluator = val_evaluator
train_cfg = dict(max_epochs=1)
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False,
                        begin=0, end=2)]
optim_wrapper = dict(optimizer=dict(lr=0.005))
default_hooks = dict(logger=dict(interval=1))
randomness = dict(seed=0)
# the 10 digit classes instead of COCO's 80, for both models
model = dict(
    teacher_ckpt='{teacher_ckpt}',
    teacher=dict(roi_head=dict(bbox_head=dict(num_classes=10))),
    student=dict(
        backbone=dict(init_cfg=None),
        roi_head=dict(bbox_head=dict(num_classes=10)),
        # a few iterations score every box low: keep them, so that
        # CocoMetric has something to evaluate
        test_cfg=dict(rcnn=dict(score_thr=0.0))))
"""


def run(cmd, timeout=900, check=True):
    env = dict(os.environ, PYTHONPATH=ROOT)
    result = subprocess.run(cmd, capture_output=True, text=True, env=env,
                            timeout=timeout, cwd=ROOT)
    if check:
        assert result.returncode == 0, (result.stdout[-3000:] +
                                        result.stderr[-5000:])
    return result


@pytest.fixture(scope='module')
def det_setup(tmp_path_factory):
    from mmlogitkd.apis import register_all_modules
    from mmlogitkd.datasets.digits_coco import make_digits_coco
    from mmlogitkd.distillers import build_host_model
    register_all_modules()
    root = tmp_path_factory.mktemp('det')
    data = str(root / 'coco')
    make_digits_coco(data, num_train=8, num_val=4, canvas=(64, 64),
                     digits_per_image=(1, 2), digit_size=(16, 28), seed=0)
    torch.manual_seed(0)
    teacher = build_host_model(
        dict(cfg_path='mmlogitkd::_base_/models/frcnn_r101_fpn_caffe_d2.py',
             roi_head=dict(bbox_head=dict(num_classes=10))), 'teacher')
    ckpt = str(root / 'teacher_r101.pth')
    torch.save(dict(state_dict=teacher.state_dict()), ckpt)
    config = root / 'frcnn_r101_r18_digits.py'
    config.write_text(CONFIG.format(root=ROOT, data=data, teacher_ckpt=ckpt))
    return dict(root=root, config=str(config), data=data, teacher_ckpt=ckpt)


def test_train_test_export_and_mmdet_alone(det_setup):
    work = str(det_setup['root'] / 'single')
    config = det_setup['config']
    out = run([sys.executable, 'tools/train.py', config, '--work-dir', work])
    log = out.stdout + out.stderr
    for key in ('loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox',
                'loss_distill_ldrld', 'coco/bbox_mAP'):
        assert key in log, key
    ckpt = osp.join(work, 'epoch_1.pth')

    # the distillation checkpoint, without the teacher's file
    m1 = osp.join(work, 'distill_metrics.json')
    run([sys.executable, 'tools/test.py', config, ckpt, '--work-dir', work,
         '--out', m1, '--cfg-options', 'model.teacher_ckpt=/nowhere.pth'])
    # the exported student and its own config
    student = osp.join(work, 'student.pth')
    run([sys.executable, 'tools/model_converters/distill_to_student.py',
         ckpt, student, '--config', config])
    assert osp.isfile(osp.join(work, 'student.py'))
    m2 = osp.join(work, 'student_metrics.json')
    run([sys.executable, 'tools/test.py', config, student, '--work-dir',
         work, '--out', m2])
    first, second = (json.loads(Path(m).read_text()) for m in (m1, m2))
    assert 'coco/bbox_mAP' in first
    assert first == second

    # a checkpoint that fits neither layout is refused, naming keys
    bad = run([sys.executable, 'tools/test.py', config,
               det_setup['teacher_ckpt'], '--work-dir', work], check=False)
    assert bad.returncode != 0
    assert 'does not match the student' in bad.stderr
    assert 'backbone.layer1.0.conv3.weight' in bad.stderr  # an R-101 key

    # mmdet alone loads the exported student: its config names nothing of
    # mmlogitkd; only this CPU machine's torchvision / torch.load shim is
    # loaded, by file path
    assert 'mmlogitkd' not in Path(work, 'student.py').read_text()
    probe = f"""
import importlib.util, sys, torch
spec = importlib.util.spec_from_file_location(
    'cpu_torchvision_shim', {osp.join(ROOT, 'mmlogitkd', 'compat.py')!r})
spec.loader.exec_module(importlib.util.module_from_spec(spec))
from mmdet.apis import init_detector, inference_detector
model = init_detector({osp.join(work, 'student.py')!r}, {student!r},
                      device='cpu')
state = torch.load({student!r}, weights_only=True)['state_dict']
for k, v in model.state_dict().items():
    assert torch.equal(v, state[k]), k
import glob
img = sorted(glob.glob({det_setup['data']!r} + '/val2017/*'))[0]
result = inference_detector(model, img)
print('boxes', len(result.pred_instances.bboxes))
"""
    out = subprocess.run([sys.executable, '-c', probe], capture_output=True,
                         text=True, cwd=str(det_setup['root']), timeout=300,
                         env={k: v for k, v in os.environ.items()
                              if k != 'PYTHONPATH'})
    assert out.returncode == 0, out.stderr[-4000:]
    assert 'boxes' in out.stdout


def test_missing_data_or_teacher_fails_before_building(det_setup, tmp_path):
    for option, needle in (
        ('train_dataloader.dataset.data_root=/nowhere/coco',
         'train_dataloader.dataset.data_root = "/nowhere/coco"'),
        ('model.teacher_ckpt=/nowhere/r101.pth',
         'model.teacher_ckpt = "/nowhere/r101.pth"'),
    ):
        out = run([sys.executable, 'tools/train.py', det_setup['config'],
                   '--work-dir', str(tmp_path), '--cfg-options', option],
                  check=False)
        assert out.returncode != 0
        assert needle in out.stderr, out.stderr[-2000:]
        assert 'Building' not in out.stdout + out.stderr


def test_dist_train_two_cpu_ranks(det_setup):
    work = str(det_setup['root'] / 'dist')
    log = run_dist_train(det_setup['config'], work, port=29600)
    assert 'loss_distill_ldrld' in log
    # the frozen teacher is not saved (save_teacher=False), only the
    # checksum of the one we gave it
    from mmlogitkd.utils.checkpoint import state_dict_sha256
    state = torch.load(osp.join(work, 'epoch_1.pth'),
                       weights_only=True)['state_dict']
    teacher = torch.load(det_setup['teacher_ckpt'],
                         weights_only=True)['state_dict']
    assert not any(k.startswith('teacher.') for k in state)
    assert state._metadata['']['teacher_sha256'] == state_dict_sha256(
        teacher)
