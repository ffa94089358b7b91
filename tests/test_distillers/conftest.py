# Copyright (c) mmlogitkd contributors. All rights reserved.
import pytest
import torch
from mmpretrain.structures import DataSample

from mmlogitkd.apis import register_all_modules

register_all_modules()

NUM_CLASSES = 10


def classifier_cfg(arch, in_channels=64, num_classes=NUM_CLASSES,
                   ce_weight=1.0):
    return dict(
        type='mmpretrain.ImageClassifier',
        backbone=dict(type='mmlogitkd.CifarResNet', arch=arch),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=num_classes,
            in_channels=in_channels,
            loss=dict(type='CrossEntropyLoss', loss_weight=ce_weight)))


@pytest.fixture
def teacher_ckpt(tmp_path):
    """A teacher with non-trivial weights and BN statistics, saved the way
    mmengine saves checkpoints."""
    from mmlogitkd.distillers import build_host_model
    torch.manual_seed(1)
    teacher = build_host_model(classifier_cfg('resnet14'), 'teacher')
    teacher.train()
    with torch.no_grad():
        for _ in range(3):  # move BN running stats away from their init
            teacher(torch.randn(8, 3, 16, 16) * 2 + 1, mode='tensor')
    path = tmp_path / 'teacher.pth'
    torch.save(dict(state_dict=teacher.state_dict(), meta=dict()), path)
    return str(path)


def make_batch(n=6, size=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    inputs = torch.randint(0, 256, (n, 3, size, size), generator=g).float()
    labels = torch.randint(0, NUM_CLASSES, (n, ), generator=g)
    samples = [DataSample().set_gt_label(int(y)) for y in labels]
    return dict(inputs=list(inputs), data_samples=samples), labels
