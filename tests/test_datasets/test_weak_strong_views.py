# Copyright (c) mmlogitkd contributors. All rights reserved.
"""MLKD's two-view training pipeline
(configs/_base_/datasets/cifar100_bs64_weak_strong.py): built from the
config as the dataset builds it, it packs one [3, 2H, W] image (weak view
on top, strong below) with ``num_views``; the strong augmentation is
reproducible under the seeded pipeline's RNGs."""
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope

import mmlogitkd  # noqa: F401  (torchvision shims before mmpretrain)
from mmlogitkd.apis import register_all_modules
from mmlogitkd.datasets import FixMatchRandAugment, StackViews, seeded_rngs

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs/_base_/datasets/cifar100_bs64_weak_strong.py')

register_all_modules()


def cifar_like(seed=0):
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    return dict(img=img, gt_label=7, sample_idx=3, img_shape=(32, 32),
                ori_shape=(32, 32))


def build_pipeline():
    cfg = Config.fromfile(CONFIG)
    pipeline = cfg.train_dataloader.dataset.pipeline
    with DefaultScope.overwrite_default_scope('mmlogitkd'):
        return Compose([dict(t) for t in pipeline])


def test_pipeline_packs_two_views():
    pipeline = build_pipeline()
    with seeded_rngs(11):
        packed = pipeline(cifar_like())
    inputs, sample = packed['inputs'], packed['data_samples']
    assert tuple(inputs.shape) == (3, 64, 32)
    assert sample.metainfo['num_views'] == 2
    assert int(sample.gt_label) == 7
    # same seed, same views; another seed, other views
    with seeded_rngs(11):
        again = pipeline(cifar_like())['inputs']
    with seeded_rngs(12):
        other = pipeline(cifar_like())['inputs']
    assert (again == inputs).all()
    assert not (other == inputs).all()


def test_fixmatch_rand_augment():
    aug = FixMatchRandAugment()
    for seed in range(20):  # every branch of the op list, shapes kept
        with seeded_rngs(seed):
            out = aug(cifar_like(seed))['img']
        assert out.shape == (32, 32, 3) and out.dtype == np.uint8
    with seeded_rngs(5):
        a = aug(cifar_like())['img']
    with seeded_rngs(5):
        b = aug(cifar_like())['img']
    assert (a == b).all()


def test_stack_views_checks():
    views = [np.zeros((4, 5, 3), np.uint8), np.ones((4, 5, 3), np.uint8)]
    out = StackViews()(dict(img=views))
    assert out['img'].shape == (8, 5, 3) and out['num_views'] == 2
    assert (out['img'][:4] == 0).all() and (out['img'][4:] == 1).all()
    with pytest.raises(TypeError, match='MultiView'):
        StackViews()(dict(img=np.zeros((4, 5, 3))))
    with pytest.raises(ValueError, match='one shape'):
        StackViews()(dict(img=[np.zeros((4, 5, 3)), np.zeros((4, 6, 3))]))
