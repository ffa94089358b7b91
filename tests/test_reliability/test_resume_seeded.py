# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Training data as a pure function of (seed, epoch, index): the same
samples whatever the number of workers, and an exact ``--resume`` after a
SIGKILL."""
import os.path as osp
import random

import numpy as np
import pytest
import torch
from mmengine.config import Config
from torch.utils.data import DataLoader

from mmlogitkd.apis import apply_seeded_data
from mmlogitkd.datasets import (
    DigitsDataset,
    SeededDataset,
    SeededSampler,
    sample_seed,
)
from .conftest import ok, student_weights, train

PIPELINE = [
    dict(type='mmpretrain.RandomCrop', crop_size=16, padding=4),
    dict(type='mmpretrain.RandomFlip', prob=0.5),
    dict(type='mmpretrain.PackInputs'),
]


def _loader(num_workers, epoch, persistent=False):
    from mmengine.dataset import DefaultSampler, pseudo_collate
    dataset = SeededDataset(
        DigitsDataset(
            split='train', train_per_class=4, img_size=16,
            pipeline=PIPELINE),
        seed=3)
    sampler = SeededSampler(
        dataset, DefaultSampler(dataset, shuffle=True, seed=3))
    sampler.set_epoch(epoch)
    return DataLoader(
        dataset,
        batch_size=8,
        sampler=sampler,
        num_workers=num_workers,
        persistent_workers=persistent,
        collate_fn=pseudo_collate)


def _images(loader):
    return torch.cat([torch.stack(b['inputs']) for b in loader])


def test_samples_do_not_depend_on_workers_or_history():
    epoch1 = _images(_loader(0, epoch=1))
    assert torch.equal(epoch1, _images(_loader(2, epoch=1)))
    # another epoch: another order and other crops
    assert not torch.equal(epoch1, _images(_loader(0, epoch=2)))
    # a persistent worker learns the epoch from the sampler's keys
    loader = _loader(1, epoch=0, persistent=True)
    _images(loader)
    loader.sampler.set_epoch(1)
    assert torch.equal(epoch1, _images(loader))


def test_loading_leaves_the_callers_rngs_alone():
    dataset = SeededDataset(
        DigitsDataset(split='train', train_per_class=2, pipeline=PIPELINE),
        seed=0)
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    expected = (random.random(), np.random.rand(), torch.rand(1))
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    a = dataset[(0, 5)]['inputs']
    assert (random.random(), np.random.rand(), torch.rand(1)) == expected
    assert torch.equal(a, dataset[(0, 5)]['inputs'])  # same key, same crop
    # a plain index uses the epoch of set_epoch
    dataset.set_epoch(0)
    assert torch.equal(a, dataset[5]['inputs'])
    assert sample_seed(0, 0, 5) != sample_seed(0, 1, 5)
    # forwarded to the wrapped dataset
    assert dataset.metainfo['classes'][0] == '0'
    assert len(dataset.get_gt_labels()) == len(dataset)


def test_applied_to_epoch_based_index_samplers_only():
    base = dict(
        train_dataloader=dict(
            dataset=dict(type='DigitsDataset'),
            sampler=dict(type='DefaultSampler', shuffle=True)),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        randomness=dict(seed=7))
    cfg = Config(base)
    assert apply_seeded_data(cfg)
    assert cfg.train_dataloader.dataset.type == 'mmlogitkd.SeededDataset'
    assert cfg.train_dataloader.dataset.seed == 7
    assert cfg.train_dataloader.sampler.sampler.type == 'DefaultSampler'
    assert cfg.custom_hooks[-1].type == 'mmlogitkd.SeededDataHook'
    assert not apply_seeded_data(cfg)  # once
    for change in (dict(train_cfg=dict(by_epoch=False, max_iters=10)),
                   dict(train_cfg=dict(type='IterBasedTrainLoop')),
                   dict(seeded_data=False)):
        cfg = Config(base)
        cfg.merge_from_dict(change)
        assert not apply_seeded_data(cfg), change
    cfg = Config(base)  # mmdet's aspect-ratio batches
    cfg.train_dataloader.batch_sampler = dict(type='AspectRatioBatchSampler')
    assert not apply_seeded_data(cfg)


@pytest.mark.e2e
def test_resume_after_sigkill_is_exact_and_workers_do_not_matter(
        quickstart, tmp_path):
    """The issue's case: RandomCrop in the pipeline, killed mid-epoch and
    resumed without workers, against an uninterrupted run with two workers:
    bit-identical students (either difference alone would break it)."""
    whole = tmp_path / 'whole'
    ok(train(quickstart, whole, '--no-validate', '--cfg-options',
             'train_dataloader.num_workers=2'))

    crashed = tmp_path / 'crashed'
    killed = train(quickstart, crashed, '--no-validate',
                   env=dict(KILL_AT='1:1'))  # epoch 2, after 2 iterations
    assert killed.returncode == -9, killed.stderr[-3000:]
    assert osp.isfile(crashed / 'epoch_1.pth')
    assert not osp.isfile(crashed / 'epoch_2.pth')
    log = ok(train(quickstart, crashed, '--no-validate', '--resume'))
    assert 'resumed epoch: 1' in log

    expected = student_weights(whole / 'epoch_3.pth')
    got = student_weights(crashed / 'epoch_3.pth')
    assert expected and got.keys() == expected.keys()
    differ = [k for k in expected if not torch.equal(expected[k], got[k])]
    assert not differ, differ
