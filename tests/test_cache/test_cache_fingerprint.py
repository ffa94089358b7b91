# Copyright (c) mmlogitkd contributors. All rights reserved.
"""A teacher cache records which samples it was made on, in which order,
with which labels (``data_fingerprint``), and refuses a run on other data
of the same length before training, naming the field, both hashes and the
first sample that differs."""
import json
import os.path as osp
import shutil

import numpy as np
import pytest
from mmengine.dataset import BaseDataset

from mmlogitkd.distillers import TeacherCacheMismatch, TeacherLogitCache
from mmlogitkd.distillers.data_fingerprint import (
    data_fingerprint,
    describe_sample,
)
from mmlogitkd.registry import DATASETS

#: the training set of the tests' configs (tests/test_cache/conftest.py)
DIGITS = dict(
    type='DigitsDataset',
    split='train',
    test_ratio=0.5,
    img_size=16,
    train_per_class=3,
    seed=0)


def _seeded(**changes):
    return DATASETS.build(
        dict(type='SeededDataset', dataset=dict(DIGITS, **changes), cycle=2))


def _copy(cache, tmp_path, **meta_changes):
    out = tmp_path / 'copy'
    shutil.copytree(cache, out)
    meta = json.loads((out / 'meta.json').read_text())
    meta.update(meta_changes)
    for key in [k for k, v in meta_changes.items() if v is None]:
        meta.pop(key)
    (out / 'meta.json').write_text(json.dumps(meta))
    return out


def test_the_cache_records_the_fingerprint_of_its_data(sdd_cache):
    cache = TeacherLogitCache(str(sdd_cache))
    fingerprint, digests = data_fingerprint(_seeded())
    assert cache.meta['data_fingerprint'] == fingerprint
    assert fingerprint['identity'] == 'img bytes'  # digits: in memory
    assert np.array_equal(np.load(sdd_cache / 'samples.npy'), digests)
    cache.check_data(_seeded())  # the same split: accepted


def test_another_split_of_the_same_length_is_refused_before_training(
        tmp_path, make_config, sdd_cache, train):
    # the digits split of another seed, of the same length
    config = make_config(
        'kd',
        extra='train_dataloader = dict(batch_size=8, '
        'dataset=dict(train_per_class=3, seed=1))')
    recorded = TeacherLogitCache(str(sdd_cache)).meta['data_fingerprint']
    with pytest.raises(TeacherCacheMismatch) as err:
        train(config, tmp_path / 'run', f'model.teacher_cache={sdd_cache}',
              epochs=1)
    message = str(err.value)
    assert 'data_fingerprint differs' in message
    assert 'samples_sha256' in message
    assert recorded['samples_sha256'] in message
    assert data_fingerprint(_seeded(seed=1))[0]['samples_sha256'] in message
    assert 'is the first that differs, in this run an image whose bytes ' \
           'hash to' in message
    assert 'tools/cache_teacher_logits.py' in message
    assert not list((tmp_path / 'run').glob('*.pth'))


def test_other_labels_are_refused(sdd_cache):
    noisy = DATASETS.build(
        dict(
            type='SeededDataset',
            dataset=dict(
                type='NoisyLabelDataset', dataset=DIGITS, noise_rate=0.5)))
    first = int(np.flatnonzero(noisy.dataset.flipped)[0])
    with pytest.raises(TeacherCacheMismatch) as err:
        TeacherLogitCache(str(sdd_cache)).check_data(noisy)
    message = str(err.value)
    assert 'data_fingerprint differs in the labels (labels_sha256)' in message
    assert f'sample {first} is the first that differs' in message
    assert f'with label {noisy.dataset.noisy_labels[first]}' in message


def test_a_cache_without_fingerprint_is_refused(sdd_cache, tmp_path):
    old = _copy(sdd_cache, tmp_path, version=1)
    with pytest.raises(ValueError, match='version 1.*remake the cache'):
        TeacherLogitCache(str(old))
    shutil.rmtree(old)
    unfingerprinted = _copy(sdd_cache, tmp_path, data_fingerprint=None)
    cache = TeacherLogitCache(str(unfingerprinted))
    with pytest.raises(TeacherCacheMismatch,
                       match='no data_fingerprint.*remake the cache'):
        cache.check_data(_seeded())


def test_concatenated_datasets_are_fingerprinted_in_order():
    """SKD's CIFAR config concatenates two datasets (ConcatDataset)."""
    a, b = dict(DIGITS), dict(DIGITS, seed=1)

    def concat(*parts):
        return DATASETS.build(
            dict(
                type='SeededDataset',
                dataset=dict(type='ConcatDataset', datasets=list(parts))))

    ab, digests = data_fingerprint(concat(a, b))
    parts = [data_fingerprint(_seeded(seed=s))[1] for s in (0, 1)]
    assert np.array_equal(digests, np.concatenate(parts))
    assert ab != data_fingerprint(concat(b, a))[0]
    assert ab == data_fingerprint(concat(a, b))[0]


class FileList(BaseDataset):
    """Samples named by file (as ImageNet / CUB / Market-1501)."""

    def __init__(self, names, labels, **kwargs):
        self.names, self.labels = names, labels
        super().__init__(**kwargs)

    def load_data_list(self):
        return [
            dict(
                img_path=osp.join(self.data_prefix['img_path'], name),
                gt_label=label)
            for name, label in zip(self.names, self.labels)
        ]


def test_file_names_relative_to_the_data_root():
    names = [f'train/{i:03d}.png' for i in range(5)]
    here = FileList(names, [0, 1, 2, 3, 4], data_root='/data/set')
    moved = FileList(names, [0, 1, 2, 3, 4], data_root='/scratch/copy/set')
    fingerprint = data_fingerprint(here)[0]
    assert fingerprint['identity'] == 'img_path'
    assert fingerprint == data_fingerprint(moved)[0]  # the data moved
    other = FileList(names[:3] + ['val/000.png', names[4]], [0, 1, 2, 3, 4],
                     data_root='/data/set')
    assert data_fingerprint(other)[0]['samples_sha256'] != fingerprint[
        'samples_sha256']
    assert data_fingerprint(other)[0]['labels_sha256'] == fingerprint[
        'labels_sha256']
    assert describe_sample(other, 3) == '"val/000.png" with label 3'
