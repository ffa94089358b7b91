# Copyright (c) mmlogitkd contributors. All rights reserved.
"""NoisyLabelDataset / make_noisy_labels: the exact flipped fraction, flips
that never keep the clean label, determinism per seed, the bad-rate errors,
and the noisy label reaching the packed sample (in and outside
SeededDataset, and when built from a config)."""
import numpy as np
import pytest

import mmlogitkd  # noqa: F401  (compat shims before mmpretrain)
from mmlogitkd.apis import register_all_modules
from mmlogitkd.datasets import (
    DigitsDataset,
    NoisyLabelDataset,
    SeededDataset,
    make_noisy_labels,
)
from mmlogitkd.registry import DATASETS

register_all_modules()


def labels(n=1000, c=10, seed=0):
    return np.random.default_rng(seed).integers(0, c, n)


@pytest.mark.parametrize('mode', ['symmetric', 'pair'])
@pytest.mark.parametrize('n,rate', [(1000, 0.1), (999, 0.1), (50, 0.3),
                                    (7, 0.5), (100, 0.0), (100, 1.0)])
def test_exact_fraction_and_never_the_same_label(mode, n, rate):
    clean = labels(n)
    noisy = make_noisy_labels(clean, 10, rate, seed=3, mode=mode)
    assert noisy.dtype == np.int64 and noisy.shape == clean.shape
    assert ((noisy >= 0) & (noisy < 10)).all()
    # every changed label is a flip, and exactly round(rate * n) change
    assert int((noisy != clean).sum()) == int(round(rate * n))
    if mode == 'pair':
        changed = noisy != clean
        assert (noisy[changed] == (clean[changed] + 1) % 10).all()


def test_symmetric_spreads_over_the_other_classes():
    clean = np.zeros(20000, dtype=np.int64)
    noisy = make_noisy_labels(clean, 5, 0.5, seed=0)
    counts = np.bincount(noisy[noisy != 0], minlength=5)
    assert counts[0] == 0
    # 10000 flips over 4 classes: each near 2500
    assert (np.abs(counts[1:] - 2500) < 200).all()


def test_deterministic_per_seed():
    clean = labels(500)
    a = make_noisy_labels(clean, 10, 0.2, seed=7)
    b = make_noisy_labels(clean, 10, 0.2, seed=7)
    c = make_noisy_labels(clean, 10, 0.2, seed=8)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    # global RNGs play no part
    np.random.seed(123)
    assert np.array_equal(a, make_noisy_labels(clean, 10, 0.2, seed=7))


@pytest.mark.parametrize('rate', [-0.1, 1.5, float('nan'), float('inf')])
def test_bad_rate(rate):
    with pytest.raises(ValueError, match='noise_rate'):
        make_noisy_labels(labels(10), 10, rate)
    with pytest.raises(ValueError, match='noise_rate'):
        NoisyLabelDataset(
            DigitsDataset(split='train', train_per_class=5), noise_rate=rate)


def test_bad_mode_and_labels():
    with pytest.raises(ValueError, match='mode'):
        make_noisy_labels(labels(10), 10, 0.1, mode='asym')
    with pytest.raises(ValueError, match='labels must be in'):
        make_noisy_labels(np.array([0, 10]), 10, 0.1)
    with pytest.raises(ValueError, match='2 classes'):
        make_noisy_labels(np.zeros(4, dtype=int), 1, 0.5)


def _digits(per_class=20, **kwargs):
    return DigitsDataset(split='train', train_per_class=per_class,
                         img_size=8, **kwargs)


def test_dataset_wrapper_serves_noisy_labels():
    clean_ds = _digits(pipeline=[dict(type='mmpretrain.PackInputs')])
    ds = NoisyLabelDataset(clean_ds, noise_rate=0.1, seed=0)
    n = len(clean_ds)
    assert len(ds) == n == 200 and ds.num_classes == 10
    clean = np.array([clean_ds.get_data_info(i)['gt_label']
                      for i in range(n)])
    assert np.array_equal(ds.clean_labels, clean)
    assert int(ds.flipped.sum()) == 20
    assert np.array_equal(ds.get_gt_labels(), ds.noisy_labels)
    for i in range(n):
        packed = ds[i]['data_samples'].gt_label.item()
        assert packed == ds.noisy_labels[i]
        assert (packed != clean[i]) == ds.flipped[i]
    # the wrapped dataset is untouched, and its metainfo shows through
    assert clean_ds.get_data_info(0)['gt_label'] == clean[0]
    assert ds.metainfo['classes'] == clean_ds.metainfo['classes']
    # inside SeededDataset (what tools/train.py adds)
    seeded = SeededDataset(ds, seed=0)
    flipped = int(np.flatnonzero(ds.flipped)[0])
    assert seeded[(1, flipped)]['data_samples'].gt_label.item() == \
        ds.noisy_labels[flipped]


def test_built_from_config():
    ds = DATASETS.build(
        dict(type='mmlogitkd.NoisyLabelDataset', noise_rate=0.25, seed=1,
             dataset=dict(type='DigitsDataset', split='train',
                          train_per_class=4, img_size=8,
                          pipeline=[dict(type='mmpretrain.PackInputs')])))
    assert isinstance(ds, NoisyLabelDataset)
    assert int(ds.flipped.sum()) == 10  # 0.25 x 40
    assert 'flipped=10/40' in repr(ds)


def test_refuses_a_dataset_without_labels():
    class Plain:
        pipeline = None

        def __len__(self):
            return 1

        def get_data_info(self, i):
            return dict(img=None)

    with pytest.raises(TypeError, match='gt_label'):
        NoisyLabelDataset(Plain(), noise_rate=0.1)
    with pytest.raises(TypeError, match='BaseDataset'):
        NoisyLabelDataset([1, 2, 3], noise_rate=0.1)
