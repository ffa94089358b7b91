# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The COCO detection configs against their baselines.

A method's gain on COCO is measured against the student alone
(``configs/det/``), so the two must share everything but the distillation:
the data pipeline, evaluators, schedule, optimizer, batch size, runtime and
the student itself. The R-50 student is the papers' (Detectron2's MSRA
caffe-style R-50: mmdet's ``faster-rcnn_r50-caffe_fpn``)."""
import copy
import functools
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmlogitkd.apis import register_all_modules
from mmlogitkd.distillers import resolve_cfg_path, resolve_host_cfg
from mmlogitkd.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_ROOT = osp.join(ROOT, 'configs')
#: student of a distillation config name -> its config alone
STUDENT_ALONE = {
    'r18': 'configs/det/frcnn_r18_coco.py',
    'r50': 'configs/det/frcnn_r50-caffe_coco.py',
}
#: the pair file every method's config of that student inherits
PAIR = {
    'r18': 'configs/_base_/pairs/coco_frcnn_r101_r18.py',
    'r50': 'configs/_base_/pairs/coco_frcnn_r101_r50.py',
}
DISTILL = sorted(
    osp.relpath(p, ROOT)
    for p in glob.glob(osp.join(CONFIG_ROOT, '*', 'frcnn_r101_*_coco.py')))

#: the distiller's own optimizer constructor (the teacher kept out); the
#: rest of the optimizer is the student alone's
DISTILL_CONSTRUCTOR = 'mmlogitkd.DistillOptimWrapperConstructor'

register_all_modules()


def _student(distill_path):
    """``'r18'`` of ``configs/kd/frcnn_r101_r18_coco.py``."""
    return osp.basename(distill_path).split('_')[2]


def _unscoped(obj):
    """``obj`` without the ``_scope_`` keys mmengine adds to what a config
    inherits from another package (``mmdet::`` bases)."""
    if isinstance(obj, dict):
        return {k: _unscoped(v) for k, v in obj.items() if k != '_scope_'}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_unscoped(v) for v in obj)
    return obj


@functools.lru_cache(maxsize=None)
def _resolved(rel):
    cfg = Config.fromfile(osp.join(ROOT, rel)).to_dict()
    cfg.pop('filename', None)
    return cfg


def _load(rel):
    """The resolved config of ``rel`` as plain dicts (a fresh copy)."""
    return copy.deepcopy(_resolved(rel))


def test_every_coco_distillation_config_has_its_student_alone():
    assert len(DISTILL) >= 2 * 12, DISTILL
    assert {_student(p) for p in DISTILL} == set(STUDENT_ALONE)
    for alone in STUDENT_ALONE.values():
        assert osp.isfile(osp.join(ROOT, alone)), alone


@pytest.mark.parametrize('distill', DISTILL)
def test_method_config_is_its_pair_plus_losses(distill):
    """A method's COCO config changes nothing of its pair (recipe, student,
    teacher) but adds its ``distill_losses``: the pair's comparison with the
    student alone below holds for every method."""
    cfg, pair = _load(distill), _load(PAIR[_student(distill)])
    assert cfg['model'].pop('distill_losses')
    assert cfg == pair


@pytest.mark.parametrize('student', sorted(STUDENT_ALONE))
def test_distillation_recipe_is_the_student_alone_recipe(student):
    """Key by key: every top-level key but ``model`` is the same (data,
    evaluators, optimizer, schedule, loops, runtime), except the distiller's
    optimizer constructor; the student the distiller builds is the student
    alone's ``model``."""
    d_cfg, a_cfg = _load(PAIR[student]), _load(STUDENT_ALONE[student])
    assert sorted(d_cfg) == sorted(a_cfg)
    d_optim = dict(d_cfg['optim_wrapper'])
    assert d_optim.pop('constructor') == DISTILL_CONSTRUCTOR
    assert 'constructor' not in a_cfg['optim_wrapper']
    assert d_optim == a_cfg['optim_wrapper']
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader',
                'val_evaluator', 'test_evaluator', 'param_scheduler',
                'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr',
                'default_scope'):
        assert d_cfg[key] == a_cfg[key], key
    for key in sorted(set(d_cfg) - {'model', 'optim_wrapper'}):
        assert d_cfg[key] == a_cfg[key], key

    model = d_cfg['model']
    assert model['type'] == 'DetLogitDistiller'
    # the student as the distiller builds it: its cfg_path resolved in
    # mmdet's scope (DetLogitDistiller.host_scope)
    student = resolve_host_cfg(model['student'], 'student', 'mmdet')
    assert student.pop('_scope_') == a_cfg['default_scope'] == 'mmdet'
    assert _unscoped(student.to_dict()) == _unscoped(a_cfg['model'])
    # the student has its own normalisation (none falls back to the
    # distiller's)
    assert 'data_preprocessor' in a_cfg['model']
    assert 'data_preprocessor' not in model


def test_r50_student_is_mmdet_caffe_r50():
    """The R-50 student alone is mmdet's faster-rcnn_r50-caffe_fpn_1x_coco
    key for key (model, data, schedule, runtime), so its baseline is that
    model-zoo config."""
    path, _ = resolve_cfg_path(
        'mmdet::faster_rcnn/faster-rcnn_r50-caffe_fpn_1x_coco.py')
    mmdet_cfg = Config.fromfile(path).to_dict()
    mmdet_cfg.pop('filename', None)
    ours = _load(STUDENT_ALONE['r50'])
    assert sorted(ours) == sorted(mmdet_cfg)
    for key in sorted(ours):
        assert _unscoped(ours[key]) == _unscoped(mmdet_cfg[key]), key
    backbone = ours['model']['backbone']
    assert backbone['style'] == 'caffe'
    assert backbone['norm_cfg'] == dict(type='BN', requires_grad=False)
    assert backbone['init_cfg'] == dict(
        type='Pretrained', checkpoint='open-mmlab://detectron2/resnet50_caffe')
    assert ours['model']['data_preprocessor'] == dict(
        type='DetDataPreprocessor', mean=[103.53, 116.28, 123.675],
        std=[1.0, 1.0, 1.0], bgr_to_rgb=False, pad_size_divisor=32)


@pytest.mark.parametrize('student,teacher_shares', [('r18', False),
                                                    ('r50', True)])
def test_each_model_keeps_its_normalisation(student, teacher_shares):
    """Built (no weights read): the student normalises as the student alone
    does; the Detectron2 R-101 teacher keeps BGR / std 1, which the caffe
    R-50 shares and the torchvision R-18 does not."""
    cfg = Config.fromfile(
        osp.join(CONFIG_ROOT, 'dkd', f'frcnn_r101_{student}_coco.py'))
    cfg.model.teacher_ckpt = None
    alone = Config.fromfile(osp.join(ROOT, STUDENT_ALONE[student]))
    with MODELS.switch_scope_and_registry(cfg.default_scope) as registry:
        distiller = registry.build(cfg.model)
        model = registry.build(alone.model)
    preprocessor = distiller.data_preprocessor
    for name in ('mean', 'std'):
        assert torch.equal(getattr(preprocessor.student, name),
                           getattr(model.data_preprocessor, name))
    assert (preprocessor.student._channel_conversion ==
            model.data_preprocessor._channel_conversion)
    assert torch.equal(preprocessor.teacher.mean.flatten(),
                       torch.tensor([103.53, 116.28, 123.675]))
    assert torch.equal(preprocessor.teacher.std.flatten(), torch.ones(3))
    assert not preprocessor.teacher._channel_conversion
    assert preprocessor.shared is teacher_shares
    assert distiller.teacher.backbone.style == 'caffe'
    assert distiller.student.backbone.style == (
        'caffe' if student == 'r50' else 'pytorch')
