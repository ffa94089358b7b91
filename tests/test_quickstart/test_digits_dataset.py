# Copyright (c) mmlogitkd contributors. All rights reserved.
"""DigitsDataset: scikit-learn's digits as a deterministic, stratified
image-classification dataset (the data of the quick start)."""
import sys

import numpy as np
import pytest

pytest.importorskip('sklearn')

from mmlogitkd.datasets.digits import (  # noqa: E402
    DIGITS_CLASSES,
    DigitsDataset,
    load_digits_arrays,
    stratified_split,
)
from mmlogitkd.registry import DATASETS  # noqa: E402

NUM_DIGITS = 1797


@pytest.fixture(scope='module')
def labels():
    return load_digits_arrays()[1]


def test_split_sizes_and_disjointness(labels):
    train, test = stratified_split(labels, test_ratio=0.5, seed=0)
    assert len(train) + len(test) == NUM_DIGITS
    assert not set(train) & set(test)
    assert sorted(np.concatenate([train, test])) == list(range(NUM_DIGITS))
    # stratified: every class is split in half (to within one image)
    for cls in range(10):
        n_train = int((labels[train] == cls).sum())
        n_test = int((labels[test] == cls).sum())
        assert abs(n_train - n_test) <= 1


def test_train_per_class_keeps_the_test_split(labels):
    train_all, test_all = stratified_split(labels, 0.5, 0)
    train, test = stratified_split(labels, 0.5, 0, train_per_class=20)
    assert np.array_equal(test, test_all)
    assert set(train) <= set(train_all)
    assert np.bincount(labels[train], minlength=10).tolist() == [20] * 10


def test_split_is_deterministic_and_seeded(labels):
    a = stratified_split(labels, 0.3, seed=0, train_per_class=5)
    b = stratified_split(labels, 0.3, seed=0, train_per_class=5)
    c = stratified_split(labels, 0.3, seed=1, train_per_class=5)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize('kwargs', [
    dict(test_ratio=0.), dict(test_ratio=1.), dict(train_per_class=0)])
def test_bad_split_arguments(labels, kwargs):
    args = dict(test_ratio=0.5, seed=0)
    args.update(kwargs)
    with pytest.raises(ValueError):
        stratified_split(labels, args['test_ratio'], args['seed'],
                         args.get('train_per_class'))


def test_dataset_items():
    train = DigitsDataset(split='train', train_per_class=20, img_size=16)
    test = DigitsDataset(split='test', img_size=16)
    assert len(train) == 200
    assert len(test) == 898
    assert len(train) + len(test) <= NUM_DIGITS
    assert train.metainfo['classes'] == DIGITS_CLASSES == tuple('0123456789')
    assert not train.test_mode and test.test_mode
    for ds in (train, test):
        labels = ds.get_gt_labels()
        assert labels.min() == 0 and labels.max() == 9
        assert set(labels.tolist()) == set(range(10))
        item = ds[0]
        img = item['img']
        assert img.dtype == np.uint8 and img.shape == (16, 16, 3)
        assert 0 <= int(item['gt_label']) < 10
        # grey replicated to three channels, real content (not blank)
        assert np.array_equal(img[..., 0], img[..., 2])
        assert img.max() > 100
    original = DigitsDataset(split='test')
    assert original[0]['img'].shape == (8, 8, 3)


def test_train_and_test_images_are_disjoint():
    train = DigitsDataset(split='train', img_size=8)
    test = DigitsDataset(split='test', img_size=8)
    assert len(train) + len(test) == NUM_DIGITS
    # the digits hold a few duplicated images, so compare split indices via
    # the data: the sets of (image bytes, label) overlap at most by those
    seen = {(train[i]['img'].tobytes(), train[i]['gt_label'])
            for i in range(len(train))}
    overlap = sum((test[i]['img'].tobytes(), test[i]['gt_label']) in seen
                  for i in range(len(test)))
    assert overlap <= 5


def test_dataset_is_deterministic():
    a = DigitsDataset(split='train', train_per_class=10, img_size=16)
    b = DigitsDataset(split='train', train_per_class=10, img_size=16)
    c = DigitsDataset(
        split='train', train_per_class=10, img_size=16, seed=1)
    imgs = lambda ds: np.stack([ds[i]['img'] for i in range(len(ds))])  # noqa
    assert np.array_equal(imgs(a), imgs(b))
    assert np.array_equal(a.get_gt_labels(), b.get_gt_labels())
    assert not np.array_equal(imgs(a), imgs(c))


def test_built_from_config_with_mmpretrain_pipeline():
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmlogitkd'):
        ds = DATASETS.build(
            dict(
                type='DigitsDataset',
                split='train',
                train_per_class=3,
                img_size=16,
                pipeline=[
                    dict(
                        type='mmpretrain.RandomCrop',
                        crop_size=16,
                        padding=2),
                    dict(type='mmpretrain.PackInputs')
                ]))
        out = ds[0]
    assert tuple(out['inputs'].shape) == (3, 16, 16)
    assert 0 <= int(out['data_samples'].gt_label) < 10


def test_bad_arguments():
    with pytest.raises(ValueError, match='split'):
        DigitsDataset(split='val')
    with pytest.raises(ValueError, match='img_size'):
        DigitsDataset(img_size=0)


def test_clear_error_without_scikit_learn(monkeypatch):
    monkeypatch.setitem(sys.modules, 'sklearn', None)
    monkeypatch.setitem(sys.modules, 'sklearn.datasets', None)
    load_digits_arrays.cache_clear()  # read again, without scikit-learn
    with pytest.raises(ImportError, match='scikit-learn'):
        DigitsDataset(split='test')
    load_digits_arrays.cache_clear()
