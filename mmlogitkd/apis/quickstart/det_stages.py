# Copyright (c) mmlogitkd contributors. All rights reserved.
"""What the detection quick start does around its runs: the COCO-format
digits it writes once, the backbones it pretrains once on the training
digits (the papers' detectors start from ImageNet weights), and the share
of the student's RoIs the teacher classifies right, which its table
reports."""
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time
from collections import OrderedDict
from typing import Optional

from .runs import (
    ROOT,
    RunFailed,
    common_options,
    config_key,
    file_digest,
    final_checkpoint,
    run_env,
    train,
)

__all__ = [
    'det_data_options', 'make_det_data', 'det_pretrain', 'det_run_options',
    'det_report', 'teacher_roi_accuracy', 'cached_backbone',
    'pretrained_backbone'
]

#: role -> config of configs/quickstart_det/pretrain/, pretrained once
#: with its seed 0 and cached like the teacher
DET_BACKBONES = OrderedDict([('teacher', 'teacher_backbone.py'),
                             ('student', 'student_backbone.py')])
#: training images over which the teacher's accuracy on the student's RoIs
#: is measured (tools/analysis/det_teacher_roi_accuracy.py)
DET_ROI_IMAGES = 200


def det_data_options(work_dir: str) -> list:
    """``--cfg-options`` pointing the detection runs at the canvases that
    ``make_det_data`` writes into the work dir."""
    data = osp.join(work_dir, 'data') + '/'
    ann = data + 'annotations/instances_val2017.json'
    opts = [f'{loader}.dataset.data_root={data}'
            for loader in ('train_dataloader', 'val_dataloader',
                           'test_dataloader')]
    opts += [f'{ev}.ann_file={ann}'
             for ev in ('val_evaluator', 'test_evaluator')]
    return opts


def make_det_data(args) -> None:
    """Write the COCO-format digits into ``<work-dir>/data`` (once); the
    stage's time goes to ``args.stages``."""
    from mmlogitkd.datasets.digits_coco import make_digits_coco
    print('making the COCO-format digits (once) ...', flush=True)
    tic = time.time()
    out = make_digits_coco(osp.join(args.work_dir, 'data'))
    args.stages['data'] = dict(
        seconds=time.time() - tic, cached=not out['generated'])


def det_pretrain(args) -> None:
    """Pretrain both detectors' backbones, or take the cached ones; sets
    ``args.det_backbones`` (role -> checkpoint), which ``det_run_options``
    hands to the runs."""
    args.det_backbones = OrderedDict(
        (role, pretrained_backbone(args, role, config_file))
        for role, config_file in DET_BACKBONES.items())


def cached_backbone(pretrain_dir: str, name: str, key: str):
    """The record (``<name>.json``) of a cached pretrained backbone made
    with ``key``, when its checkpoint is there and whole; else None."""
    try:
        with open(osp.join(pretrain_dir, f'{name}.json')) as f:
            meta = json.load(f)
        path = osp.join(pretrain_dir, meta['file'])
        if (meta.get('key') != key or not osp.isfile(path)
                or meta['file'] != backbone_file_name(name, path)):
            return None
        float(meta['top1'])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return meta


def backbone_file_name(name: str, path: str) -> str:
    """``<name>-<first 8 hex digits of the sha256>.pth``, as OpenMMLab
    names its published checkpoints: a run that names the file names its
    content, so the teacher's and the students' run keys follow it."""
    return f'{name}-{file_digest(path)[:8]}.pth'


def pretrained_backbone(args, role: str, config_file: str) -> str:
    """Pretrain ``role``'s backbone with ``configs/quickstart_det/pretrain/
    <config_file>`` through ``tools/train.py``, or take the cached one;
    return its checkpoint.

    The checkpoint is a plain mmpretrain one (the classifier's
    ``state_dict``: ``backbone.*``, ``head.*``) that the detector's
    backbone loads through ``init_cfg=dict(type='Pretrained',
    prefix='backbone.')``. ``<work-dir>/pretrain/<name>.pth`` links to the
    latest (the model files' default path)."""
    import torch

    from mmlogitkd.utils import load_checkpoint_file
    config = osp.join(args.task.config_dir, 'pretrain', config_file)
    name = osp.splitext(config_file)[0]
    pretrain_dir = osp.join(args.work_dir, 'pretrain')
    key = config_key(config)
    meta = cached_backbone(pretrain_dir, name, key)
    if meta is not None:
        path = osp.join(pretrain_dir, meta['file'])
        print(
            f'[pretrain] {role} backbone: cached {path} (digits test top-1 '
            f'{meta["top1"]:.2f})',
            flush=True)
        args.stages[f'{role} backbone'] = dict(
            seconds=float(meta['seconds']), cached=True, top1=meta['top1'])
        return path
    print(
        f'[pretrain] {role} backbone: training on the training digits '
        f'(configs/quickstart_det/pretrain/{config_file}) ...',
        flush=True)
    work_dir = osp.join(pretrain_dir, name)
    tic = time.time()
    from mmengine.config import Config
    epochs = int(Config.fromfile(config).train_cfg.max_epochs)
    top1, _ = train(f'{role}-bb', config, work_dir, [], args, epochs,
                    metric=('accuracy/top1', 1.))
    seconds = time.time() - tic
    last = final_checkpoint(work_dir)
    state_dict = load_checkpoint_file(last)['state_dict']
    tmp = osp.join(pretrain_dir, f'{name}.pth.tmp')
    torch.save(
        dict(
            state_dict=state_dict,
            meta=dict(config=osp.relpath(config, ROOT), top1=top1)), tmp)
    file_name = backbone_file_name(name, tmp)
    for old in os.listdir(pretrain_dir):  # earlier backbones of this name
        if re.fullmatch(re.escape(name) + r'-[0-9a-f]{8}\.pth', old):
            os.remove(osp.join(pretrain_dir, old))
    path = osp.join(pretrain_dir, file_name)
    os.replace(tmp, path)
    link = osp.join(pretrain_dir, f'{name}.pth')
    if osp.lexists(link):
        os.remove(link)
    try:
        os.symlink(file_name, link)
    except OSError:  # no symlinks here: a copy
        import shutil
        shutil.copyfile(path, link)
    with open(osp.join(pretrain_dir, f'{name}.json'), 'w') as f:
        json.dump(
            dict(key=key, file=file_name, top1=top1, seconds=seconds),
            f,
            indent=2)
    args.stages[f'{role} backbone'] = dict(
        seconds=seconds, cached=False, top1=top1)
    print(
        f'[pretrain] {role} backbone: digits test top-1 {top1:.2f} in '
        f'{seconds:.1f} s -> {path}',
        flush=True)
    return path


def det_run_options(args, name: str) -> list:
    """``--cfg-options`` giving a detection run its pretrained backbone:
    the teacher's to the teacher, the student's to the student alone and
    to every distilled student (``model.student``); none before
    ``det_pretrain``."""
    backbones = getattr(args, 'det_backbones', None)
    if not backbones:
        return []
    if name == 'teacher':
        return [f'model.backbone.init_cfg.checkpoint={backbones["teacher"]}']
    model = 'model' if name == 'student' else 'model.student'
    return [
        f'{model}.backbone.init_cfg.checkpoint={backbones["student"]}'
    ]


def det_report(args, rows) -> str:
    """What the detection table adds: the stages before the runs
    (``args.stages``) and, per seed, the share of the student's RoIs the
    teacher classifies right."""
    lines = []
    stages = []
    for name, stage in args.stages.items():
        notes = (['cached'] if stage['cached'] else []) + (
            [f'digits test top-1 {stage["top1"]:.1f}%']
            if 'top1' in stage else [])
        stages.append(f'{name} {stage["seconds"]:.0f} s' +
                      (f' ({"; ".join(notes)})' if notes else ''))
    if stages:
        lines.append('Before the runs: ' + '; '.join(stages) + '.')
    for seed in args.seeds:
        roi = teacher_roi_accuracy(args, seed)
        if roi is None:
            lines.append(f'Teacher on the student\'s RoIs (seed {seed}): '
                         'not measured (no checkpoint of the student alone).')
            continue
        lines.append(
            f"Teacher on the student's RoIs (the student alone's, seed "
            f'{seed}, {roi["images"]} training images; '
            'tools/analysis/det_teacher_roi_accuracy.py): '
            f'{roi["teacher_fg_right"]:.1f}% of the {roi["foreground"]} '
            f'foreground RoIs classified right '
            f'({roi["teacher_fg_iou60_right"]:.1f}% of the '
            f'{roi["foreground_iou60"]} that overlap their digit by IoU >= '
            f'0.6; the student itself {roi["student_fg_right"]:.1f}%), '
            f'{roi["teacher_right"]:.1f}% of all {roi["rois"]}.')
    return '\n\n'.join(lines)


def teacher_roi_accuracy(args, seed: int) -> Optional[dict]:
    """The teacher's accuracy on the RoIs of the student alone of ``seed``
    (its last checkpoint), measured by ``tools/analysis/
    det_teacher_roi_accuracy.py`` and kept beside that checkpoint while
    the student's and the teacher's weights are the same; None when the
    student run left no checkpoint."""
    from mmlogitkd.utils import find_resumable_checkpoint
    student_dir = osp.join(args.work_dir, f'seed_{seed}', 'student')
    ckpt = find_resumable_checkpoint(student_dir)
    teacher_ckpt = osp.join(args.work_dir, 'teacher', 'teacher.pth')
    if ckpt is None or not osp.isfile(teacher_ckpt):
        return None
    tool = osp.join(ROOT, 'tools', 'analysis', 'det_teacher_roi_accuracy.py')
    key = '|'.join([
        file_digest(ckpt),
        file_digest(teacher_ckpt),
        file_digest(tool),
        str(DET_ROI_IMAGES),
        str(seed)
    ])
    record_path = osp.join(student_dir, 'teacher_roi_accuracy.json')
    try:
        with open(record_path) as f:
            record = json.load(f)
        if record.get('key') == key:
            return record['result']
    except (OSError, ValueError, KeyError):
        pass
    print(
        f"measuring the teacher on the student's RoIs (seed {seed}) ...",
        flush=True)
    config = osp.join(args.task.config_dir, args.task.methods['kd'][0])
    cmd = [
        sys.executable, tool, config, ckpt, '--images',
        str(DET_ROI_IMAGES), '--cfg-options',
        f'model.teacher_ckpt={teacher_ckpt}', f'randomness.seed={seed}'
    ] + common_options(args)
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env=run_env(args.task))
    if proc.returncode != 0:
        raise RunFailed('measuring the teacher on the student\'s RoIs failed'
                        f'.\nCommand: {" ".join(cmd)}\n'
                        f'{proc.stdout[-2000:]}{proc.stderr[-3000:]}')
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    with open(record_path, 'w') as f:
        json.dump(dict(key=key, result=result), f, indent=1)
    return result
