# Copyright (c) mmlogitkd contributors. All rights reserved.
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.utils import import_modules_from_strings

from mmlogitkd.losses import KDLoss
from mmlogitkd.registry import MODELS
from mmlogitkd.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'projects/multi_temperature_kd/configs/'
                  'r32x4_r8x4_cifar100.py')


def test_equals_mean_of_single_temperature_kd():
    from projects.multi_temperature_kd.mtkd import MultiTemperatureKDLoss
    g = torch.Generator().manual_seed(0)
    s = torch.randn(5, 7, generator=g, dtype=torch.float64) * 3
    t = torch.randn(5, 7, generator=g, dtype=torch.float64) * 3
    s.requires_grad_(True)
    for standardize in (False, True):
        loss = MultiTemperatureKDLoss((1, 2.5, 4), standardize=standardize)
        singles = [
            KDLoss(temperature=T, standardize=standardize)(s, t)
            for T in (1, 2.5, 4)
        ]
        expected = torch.stack(singles).mean()
        value = loss(s, t)
        torch.testing.assert_close(value, expected)
        torch.testing.assert_close(
            torch.autograd.grad(value, s)[0],
            torch.autograd.grad(expected, s)[0])
    with pytest.raises(ValueError, match='positive'):
        MultiTemperatureKDLoss((0, 2))


def test_project_config_builds_through_custom_imports():
    register_all_modules()
    cfg = Config.fromfile(CONFIG)
    import_modules_from_strings(**cfg.custom_imports)
    assert list(cfg.model.distill_losses) == ['mtkd']
    cfg.model.teacher_ckpt = None
    model = MODELS.build(cfg.model)
    assert type(model.distill_losses['mtkd']).__name__ == \
        'MultiTemperatureKDLoss'
