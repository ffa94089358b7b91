# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The Market-1501-format digits (mmlogitkd/datasets/digits_market1501.py)
checked as the real archive is read: the folders and file-name grammar
through Market1501Dataset (torchreid's parser), the open-set protocol
(disjoint identities, two cameras or more, junk and distractors), and each
identity one handwritten sample, redrawn from the recorded rendering."""
import json
import os
import os.path as osp
import re
from collections import defaultdict

import cv2
import numpy as np
import pytest

from mmlogitkd.datasets import Market1501Dataset, make_digits_market1501
from mmlogitkd.datasets.digits import load_digits_arrays
from mmlogitkd.datasets.digits_market1501 import (
    CAMERA_STYLES,
    camera_style,
    render_crop,
)

pytest.importorskip('sklearn')

SMALL = dict(
    num_train_ids=12,
    num_test_ids=8,
    cameras_per_id=(2, 6),
    num_distractors=6,
    num_junk=4,
    seed=3)
FOLDERS = ('bounding_box_train', 'query', 'bounding_box_test')
# Market-1501's names: 0002_c1s1_000451_03.jpg; -1 (junk) as it is
NAME = re.compile(r'^(-1|\d{4})_c([1-6])s[1-6]_\d{6}_\d{2}\.jpg$')


@pytest.fixture(scope='module')
def small(tmp_path_factory):
    return make_digits_market1501(
        str(tmp_path_factory.mktemp('digits_market')), **SMALL)


@pytest.fixture(scope='module')
def meta(small):
    with open(small['meta_file']) as f:
        return json.load(f)


def _records(meta, folder=None):
    keys = ('folder', 'name', 'pid', 'cam', 'row', 'scale', 'aspect', 'dx',
            'dy', 'noise')
    return [
        dict(zip(keys, r)) for r in meta['images']
        if folder is None or r[0] == folder
    ]


def _files(root):
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = osp.join(folder, name)
            with open(path, 'rb') as f:
                found[osp.relpath(path, root)] = f.read()
    return found


def test_layout_and_names(small, meta):
    data_dir = osp.join(small['data_root'], 'Market-1501-v15.09.15')
    assert small['data_dir'] == data_dir
    assert sorted(os.listdir(data_dir)) == sorted(FOLDERS)
    for folder in FOLDERS:
        names = sorted(os.listdir(osp.join(data_dir, folder)))
        assert names == sorted(r['name'] for r in _records(meta, folder))
        for name in names:
            match = NAME.match(name)
            assert match, name
        img = cv2.imread(osp.join(data_dir, folder, names[0]))
        assert img.shape == (48, 24, 3)  # a 2:1 crop, as a person's


def test_read_by_market1501_dataset(small, meta):
    """Market1501Dataset (torchreid's rules) reads back every pid and
    camera of the file names; junk dropped, distractors kept, training
    identities relabelled 0..T-1 in pid order."""
    root = small['data_root']
    train = Market1501Dataset(root, split='train')
    expected = sorted((r['name'], r['pid'], r['cam'] - 1)
                      for r in _records(meta, 'bounding_box_train'))
    got = sorted((osp.basename(train.get_data_info(i)['img_path']),
                  train.get_data_info(i)['pid'],
                  train.get_data_info(i)['camid'])
                 for i in range(len(train)))
    assert got == expected
    pids = sorted({pid for _, pid, _ in expected})
    assert len(pids) == SMALL['num_train_ids']
    for i in range(len(train)):
        info = train.get_data_info(i)
        assert info['gt_label'] == pids.index(info['pid'])

    test = Market1501Dataset(root, split='test')
    kept = [r for r in _records(meta)
            if r['folder'] != 'bounding_box_train' and r['pid'] != -1]
    assert len(test) == len(kept)
    infos = [test.get_data_info(i) for i in range(len(test))]
    assert sum(i['is_query'] for i in infos) == len(_records(meta, 'query'))
    assert test.metainfo['num_query'] == len(_records(meta, 'query'))
    assert {(osp.basename(i['img_path']), i['pid'], i['camid'] + 1)
            for i in infos} == {(r['name'], r['pid'], r['cam'])
                                for r in kept}
    # distractors are in the gallery; junk is in the folder, not read
    assert any(i['pid'] == 0 and not i['is_query'] for i in infos)
    assert not any(i['pid'] == -1 for i in infos)
    assert any(r['pid'] == -1 for r in _records(meta, 'bounding_box_test'))


def test_open_set_protocol(meta):
    train = _records(meta, 'bounding_box_train')
    query = _records(meta, 'query')
    gallery = _records(meta, 'bounding_box_test')
    train_pids = {r['pid'] for r in train}
    test_pids = {r['pid'] for r in query}
    assert train_pids and test_pids and not train_pids & test_pids
    assert all(1 <= p <= 1501 for p in train_pids | test_pids)
    assert {r['pid'] for r in gallery if r['pid'] > 0} == test_pids
    cams = defaultdict(set)
    for r in train + query + gallery:
        if r['pid'] > 0:
            cams[r['pid']].add(r['cam'])
    assert all(len(c) >= 2 for c in cams.values())
    # every query has a true match in the gallery of another camera, and
    # one query per (identity, camera)
    gallery_cams = defaultdict(set)
    for r in gallery:
        gallery_cams[r['pid']].add(r['cam'])
    for r in query:
        assert gallery_cams[r['pid']] - {r['cam']}, r
    assert len({(r['pid'], r['cam']) for r in query}) == len(query)
    counts = [sum(r['pid'] == p for r in gallery) for p in (0, -1)]
    assert counts == [SMALL['num_distractors'], SMALL['num_junk']]


def test_each_identity_is_one_handwritten_sample(small, meta):
    """One digits row per identity, a different row for every identity
    and distractor; each written crop is that row through its camera
    (redrawn from the record: JPEG-close), not another row."""
    rows = defaultdict(set)
    for r in _records(meta):
        if r['pid'] > 0:
            rows[r['pid']].add(r['row'])
    assert all(len(v) == 1 for v in rows.values())
    identity_rows = [next(iter(v)) for v in rows.values()]
    assert len(set(identity_rows)) == len(identity_rows)
    distractor_rows = {r['row'] for r in _records(meta) if r['pid'] == 0}
    assert -1 in distractor_rows  # empty crops among the distractors
    assert not distractor_rows & set(identity_rows)
    # the same row looks alike across cameras' imaging (several cameras)
    digits, _ = load_digits_arrays()
    size = tuple(meta['args']['img_size'])
    for r in _records(meta, 'query') + _records(meta, 'bounding_box_train'):
        path = osp.join(small['data_dir'], r['folder'], r['name'])
        written = cv2.imread(path)[..., ::-1].astype(np.float64)
        own = render_crop(digits[r['row']], r['cam'], size, r['scale'],
                          r['aspect'], (r['dx'], r['dy']), r['noise'])
        other = render_crop(digits[(r['row'] + 1) % len(digits)], r['cam'],
                            size, r['scale'], r['aspect'],
                            (r['dx'], r['dy']), r['noise'])
        # compared smoothed: JPEG drops the pixel noise's fine grain
        error = _smooth_diff(written, own)
        assert error < 2., (r['name'], error)
        assert _smooth_diff(written, other) > 2 * error, r['name']


def _smooth_diff(a, b):
    """Mean absolute difference of two images after a Gaussian blur."""
    blur = [cv2.GaussianBlur(x.astype(np.float32), (0, 0), 1.) for x in (a, b)]
    return float(np.abs(blur[0] - blur[1]).mean())


def test_camera_styles_are_the_cameras_own():
    assert len(CAMERA_STYLES) == 6
    digit = load_digits_arrays()[0][0]
    crops = [
        render_crop(digit, cam, (48, 24), 1., 1., (0, 0), 0)
        for cam in range(1, 7)
    ]
    for cam in range(1, 7):
        assert camera_style(cam) is CAMERA_STYLES[cam - 1]
        again = render_crop(digit, cam, (48, 24), 1., 1., (0, 0), 0)
        assert np.array_equal(again, crops[cam - 1])
    means = [c.reshape(-1, 3).mean(0) for c in crops]
    for a in range(6):
        for b in range(a + 1, 6):
            assert np.abs(means[a] - means[b]).max() > 5
    with pytest.raises(ValueError, match='camera'):
        camera_style(7)


def test_deterministic_and_reused(small, tmp_path):
    again = make_digits_market1501(str(tmp_path / 'again'), **SMALL)
    assert again['generated']
    assert _files(again['data_root']) == _files(small['data_root'])
    kept = make_digits_market1501(str(tmp_path / 'again'), **SMALL)
    assert not kept['generated'] and kept['stats'] == again['stats']
    other = make_digits_market1501(
        str(tmp_path / 'other'), **dict(SMALL, seed=4))
    assert _files(other['data_dir']) != _files(again['data_dir'])


def test_argument_errors(tmp_path):
    with pytest.raises(ValueError, match='two cameras'):
        make_digits_market1501(str(tmp_path), cameras_per_id=(1, 3))
    with pytest.raises(ValueError, match='1501'):
        make_digits_market1501(
            str(tmp_path), num_train_ids=1000, num_test_ids=600)
    with pytest.raises(ValueError, match='samples needed'):
        make_digits_market1501(
            str(tmp_path), num_train_ids=1000, num_test_ids=500,
            num_distractors=1000)
