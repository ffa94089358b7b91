# Copyright (c) mmlogitkd contributors. All rights reserved.
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
NUM_CLASSES = 4

CLASSIFIER = """dict(
    type='mmpretrain.ImageClassifier',
    backbone=dict(type='mmlogitkd.CifarResNet', arch='{arch}'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes={classes}, in_channels=64,
              loss=dict(type='CrossEntropyLoss')))"""

CONFIG = """
_base_ = ['{root}/configs/_base_/default_runtime.py']
custom_imports = dict(imports=['rank_dump_hook'], allow_failed_imports=False)
model = dict(
    type='ClsLogitDistiller',
    student={student},
    teacher={teacher},
    teacher_ckpt='{teacher_ckpt}',
    distill_losses=dict(
        kd=dict(type='KDLoss', temperature=4.0),
        ldrld=dict(type='LDRLDLoss', alpha=1.0, beta=1.0, k=3)),
    distill_warmup=dict(length=2, by_epoch=True),
    data_preprocessor=dict(mean=[127.5] * 3, std=[64.0] * 3))
pipeline = [dict(type='mmpretrain.LoadImageFromFile'),
            dict(type='mmpretrain.PackInputs')]
train_dataloader = dict(
    batch_size=4, num_workers=0,
    dataset=dict(type='mmpretrain.CustomDataset', data_root='{data}',
                 data_prefix='train', pipeline=pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=8, num_workers=0,
    dataset=dict(type='mmpretrain.CustomDataset', data_root='{data}',
                 data_prefix='train', pipeline=pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_evaluator = val_evaluator
optim_wrapper = dict(
    constructor='DistillOptimWrapperConstructor',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = [dict(type='MultiStepLR', milestones=[1], by_epoch=True)]
train_cfg = dict(by_epoch=True, max_epochs=2, val_interval=1)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=1, max_keep_ckpts=2, save_best=None))
custom_hooks = [dict(type='RankDumpHook')]
randomness = dict(seed=0)
"""


def write_folder_dataset(root, per_class=8, size=16):
    """Class c is a noisy image whose mean colour depends on c."""
    rng = np.random.default_rng(0)
    for c in range(NUM_CLASSES):
        folder = osp.join(root, 'train', f'class{c}')
        import os
        os.makedirs(folder, exist_ok=True)
        for i in range(per_class):
            base = np.array([60 * c, 255 - 60 * c, 120], dtype=np.float64)
            img = base + rng.normal(0, 20, (size, size, 3))
            Image.fromarray(img.clip(0, 255).astype(np.uint8)).save(
                osp.join(folder, f'{i}.png'))


@pytest.fixture(scope='module')
def tiny_setup(tmp_path_factory):
    """A folder dataset, a teacher checkpoint and a distillation config."""
    from mmlogitkd.apis import register_all_modules
    from mmlogitkd.distillers import build_host_model
    register_all_modules()
    root = tmp_path_factory.mktemp('tiny')
    data = str(root / 'data')
    write_folder_dataset(data)
    teacher_cfg = eval(CLASSIFIER.format(arch='resnet14',
                                         classes=NUM_CLASSES))
    torch.manual_seed(0)
    teacher = build_host_model(teacher_cfg, 'teacher')
    ckpt = str(root / 'teacher.pth')
    torch.save(dict(state_dict=teacher.state_dict()), ckpt)
    config = root / 'distill.py'
    config.write_text(
        CONFIG.format(
            root=ROOT,
            student=CLASSIFIER.format(arch='resnet8', classes=NUM_CLASSES),
            teacher=CLASSIFIER.format(arch='resnet14', classes=NUM_CLASSES),
            teacher_ckpt=ckpt,
            data=data))
    return dict(root=root, config=str(config), data=data, teacher_ckpt=ckpt)
