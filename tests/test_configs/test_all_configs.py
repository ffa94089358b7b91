# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Every config under configs/ loads, names types that exist, and builds its
model (no checkpoint is read: teacher_ckpt is checked, then set to None)."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmlogitkd.registry import (DATASETS, METRICS, MODELS,
                                OPTIM_WRAPPER_CONSTRUCTORS, TRANSFORMS)
from mmlogitkd.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                         recursive=True)
    if '_base_' not in p.split(osp.sep) and not osp.basename(p).startswith(
        '_'))

register_all_modules()


def _types(obj):
    """Every ``type`` string inside a (nested) config value."""
    if isinstance(obj, dict):
        if isinstance(obj.get('type'), str):
            yield obj['type']
        for v in obj.values():
            yield from _types(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _types(v)


def test_there_are_configs_for_every_method():
    methods = {osp.relpath(p, osp.join(ROOT, 'configs')).split(osp.sep)[0]
               for p in CONFIGS}
    assert {'kd', 'dkd', 'nkd', 'ldrld', 'sdd', 'ls', 'rank',
            'quickstart'} <= methods


@pytest.mark.parametrize(
    'path', CONFIGS, ids=[osp.relpath(p, ROOT) for p in CONFIGS])
def test_config_builds(path):
    cfg = Config.fromfile(path)
    assert cfg.get('default_scope') == 'mmlogitkd', 'default_scope'

    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[loader]['dataset']
        assert DATASETS.get(dataset['type']) is not None, dataset['type']
        for transform in dataset.get('pipeline', []):
            assert TRANSFORMS.get(transform['type']) is not None, \
                f'{loader}: {transform["type"]}'
    for evaluator in ('val_evaluator', 'test_evaluator'):
        for metric_type in _types(cfg[evaluator]):
            assert METRICS.get(metric_type) is not None, metric_type

    model_cfg = cfg.model.copy()
    if model_cfg['type'] == 'ClsLogitDistiller':
        ckpt = model_cfg.get('teacher_ckpt')
        assert isinstance(ckpt, str) and ckpt, 'teacher_ckpt'
        assert model_cfg.get('distill_losses'), 'distill_losses'
        constructor = cfg.optim_wrapper.get('constructor')
        assert constructor == 'DistillOptimWrapperConstructor', (
            'distillation configs must keep the teacher out of the optimizer')
        assert OPTIM_WRAPPER_CONSTRUCTORS.get(constructor) is not None
        model_cfg['teacher_ckpt'] = None
    if 'data_preprocessor' in cfg and 'data_preprocessor' not in model_cfg:
        model_cfg['data_preprocessor'] = cfg.data_preprocessor
    model = MODELS.build(model_cfg)

    if model_cfg['type'] == 'ClsLogitDistiller':
        assert not any(p.requires_grad for p in model.teacher.parameters())
        # student and teacher agree on the classes they predict
        assert (model.student.head.num_classes ==
                model.teacher.head.num_classes)
        size = 224 if 'imagenet' in path and 'tiny' not in path else (
            64 if 'tiny' in path else 32)
        if 'cub' in path:
            size = 224
        num_classes = model.student.head.num_classes
        with torch.no_grad():
            out = model.student.eval()(
                torch.zeros(1, 3, size, size), mode='tensor')
        assert out.shape == (1, num_classes)
