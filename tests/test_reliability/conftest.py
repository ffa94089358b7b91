# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Shared helpers of the reliability tests: small classifiers built in
process, and ``tools/train.py`` runs on the digits quick start (real data
that ships in scikit-learn, 50 training images here, 4 iterations an epoch)
with a random teacher."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.logging import MessageHub

from mmlogitkd.apis import register_all_modules

register_all_modules()

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
HERE = osp.dirname(osp.abspath(__file__))
NUM_CLASSES = 10

#: the digits quick-start KD run, shrunk: 5 images a class, batch 16, 3
#: epochs, a checkpoint every epoch; the test hooks of reliability_hooks.py
#: (idle unless their environment variables are set)
QUICKSTART = """
_base_ = '{root}/configs/quickstart/kd.py'
custom_imports = dict(
    imports=['mmlogitkd.datasets.digits', 'reliability_hooks'],
    allow_failed_imports=False)
custom_hooks = [dict(type='KillAtHook'), dict(type='PoisonLossHook')]
model = dict(teacher_ckpt=None)
train_dataloader = dict(batch_size=16, dataset=dict(train_per_class=5))
train_cfg = dict(max_epochs=3)
default_hooks = dict(checkpoint=dict(interval=1), logger=dict(interval=1))
"""


def classifier_cfg(arch='resnet8', num_classes=NUM_CLASSES, **preprocessor):
    cfg = dict(
        type='mmpretrain.ImageClassifier',
        backbone=dict(type='mmlogitkd.CifarResNet', arch=arch),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=num_classes,
            in_channels=64,
            loss=dict(type='CrossEntropyLoss')))
    if preprocessor:
        cfg['data_preprocessor'] = dict(
            type='mmpretrain.ClsDataPreprocessor', **preprocessor)
    return cfg


def build_distiller(losses=None, student=None, teacher=None, **kwargs):
    from mmlogitkd.registry import MODELS
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='ClsLogitDistiller',
            student=student or classifier_cfg('resnet8'),
            teacher=teacher or classifier_cfg('resnet14'),
            distill_losses=losses or dict(kd=dict(type='KDLoss')),
            **kwargs))


def make_batch(n=8, size=16, seed=0):
    """A raw mmpretrain batch, as the data loader yields it."""
    from mmpretrain.structures import DataSample
    g = torch.Generator().manual_seed(seed)
    inputs = torch.randint(0, 256, (n, 3, size, size), generator=g,
                           dtype=torch.uint8)
    labels = torch.randint(0, NUM_CLASSES, (n, ), generator=g)
    return dict(
        inputs=list(inputs),
        data_samples=[DataSample().set_gt_label(int(y)) for y in labels])


@pytest.fixture(autouse=True)
def fresh_message_hub():
    """No runner information left over from another test."""
    hub = MessageHub.get_current_instance()
    for key in ('epoch', 'iter', 'max_epochs', 'max_iters', 'last_ckpt'):
        hub.runtime_info.pop(key, None)
    yield


@pytest.fixture
def quickstart(tmp_path):
    config = tmp_path / 'digits_kd.py'
    config.write_text(QUICKSTART.format(root=ROOT))
    return str(config)


def train(config, work_dir, *args, env=None, timeout=300):
    """Run tools/train.py; returns the CompletedProcess (any exit code)."""
    full_env = dict(os.environ)
    full_env['PYTHONPATH'] = os.pathsep.join(
        [HERE, ROOT, full_env.get('PYTHONPATH', '')])
    full_env.update(env or {})
    return subprocess.run(
        [
            sys.executable, 'tools/train.py', config, '--work-dir',
            str(work_dir), *args
        ],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=ROOT)


def ok(result):
    assert result.returncode == 0, (result.stdout[-3000:] +
                                    result.stderr[-5000:])
    return result.stdout + result.stderr


def student_weights(path):
    state = torch.load(path, map_location='cpu',
                       weights_only=True)['state_dict']
    return {k: v for k, v in state.items() if k.startswith('student.')}
