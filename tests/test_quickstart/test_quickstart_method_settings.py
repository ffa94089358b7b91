# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The classification and re-id quick starts run each method with the loss
settings of its own configs (CIFAR-100 ResNet32x4 -> ResNet8x4, Market-1501
ResNet-50 -> ResNet-18), distillation and cross-entropy weights included,
and every method of the quick start's list has its config in both
folders."""
import copy
import importlib.util
import os.path as osp

import pytest
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(ROOT, 'tools', 'quickstart.py')
# the methods whose quick-start settings are their CIFAR-100 config's
# unchanged (LDRLD's are adapted to 10 classes; SDD's and LS's CIFAR-100
# configs are named per base loss)
CLS_SAME_AS_CIFAR = ('kd', 'dkd', 'rank', 'dist', 'ttm', 'wttm', 'wsld',
                     'skd')


def _tool():
    spec = importlib.util.spec_from_file_location('quickstart_settings',
                                                  SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _losses(cfg):
    """``distill_losses`` with the default loss_weight written out."""
    out = copy.deepcopy(cfg.model.distill_losses.to_dict())
    for loss in out.values():
        loss.setdefault('loss_weight', 1.0)
    return out


def _ce_weight(student):
    """The student's cross-entropy weight: a classifier's head loss or a
    TorchreidClassifier's own ``loss_weight`` (1 when not set)."""
    if 'head' in student:
        return student.get('head', {}).get('loss', {}).get('loss_weight', 1.)
    return student.get('loss_weight', 1.)


def test_every_method_has_both_configs():
    tool = _tool()
    for folder in ('quickstart', 'quickstart_reid'):
        for config, _, _ in tool.METHODS.values():
            assert osp.isfile(osp.join(ROOT, 'configs', folder, config)), (
                folder, config)


@pytest.mark.parametrize('method', CLS_SAME_AS_CIFAR)
def test_cls_settings_are_the_cifar100_config(method):
    ours = Config.fromfile(osp.join(ROOT, 'configs', 'quickstart',
                                    f'{method}.py'))
    cifar = Config.fromfile(
        osp.join(ROOT, 'configs', method, 'r32x4_r8x4_cifar100.py'))
    assert _losses(ours) == _losses(cifar)
    assert _ce_weight(ours.model.student) == _ce_weight(cifar.model.student)


@pytest.mark.parametrize('method', list(_tool().METHODS))
def test_reid_settings_are_the_market1501_config(method):
    ours = Config.fromfile(
        osp.join(ROOT, 'configs', 'quickstart_reid', f'{method}.py'))
    market = Config.fromfile(
        osp.join(ROOT, 'configs', method, 'reid_r50_r18_market1501.py'))
    assert _losses(ours) == _losses(market)
    assert _ce_weight(ours.model.student) == _ce_weight(market.model.student)
