# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Market1501Dataset against an independent statement of the Market-1501
rules, and its errors."""
import os
import os.path as osp
import random
import re
import shutil

import pytest
import torch
from mmengine.config import Config

from mmlogitkd.apis import check_data_paths
from mmlogitkd.datasets import Market1501Dataset
from .conftest import (
    HEIGHT,
    NUM_TRAIN_IDS,
    ROOT,
    VERSIONED,
    WIDTH,
    market_images,
    write_market1501,
)

FOLDER = dict(
    train='bounding_box_train', query='query', gallery='bounding_box_test')


def expected(split):
    """The rules, restated: names ``PPPP_cC...jpg``; pid -1 is junk and
    dropped, pid 0 (distractor) kept; camid = C - 1; training pids
    relabelled 0..N-1 in increasing order; 'test' = query then gallery;
    each folder sorted by file name."""
    if split == 'test':
        return expected('query') + expected('gallery')
    rows = []
    for name in sorted(
            i.name for i in market_images() if i.folder == FOLDER[split]):
        pid, cam = re.fullmatch(r'(-1|\d{4})_c(\d)s\d_\d{6}_\d\d\.jpg',
                                name).groups()
        if int(pid) != -1:
            rows.append((name, int(pid), int(cam) - 1))
    if split == 'train':
        labels = {p: i for i, p in enumerate(sorted({p for _, p, _ in rows}))}
        return [(n, p, c, labels[p], False) for n, p, c in rows]
    return [(n, p, c, p, split == 'query') for n, p, c in rows]


@pytest.mark.parametrize('split', ['train', 'query', 'gallery', 'test'])
def test_parsing_follows_the_rules(market_root, split):
    ds = Market1501Dataset(market_root, split=split)
    got = [(osp.basename(d['img_path']), d['pid'], d['camid'], d['gt_label'],
            d['is_query']) for d in (ds.get_data_info(i)
                                     for i in range(len(ds)))]
    assert got == expected(split)
    for i in range(len(ds)):
        path = ds.get_data_info(i)['img_path']
        assert osp.isfile(path)
        assert osp.basename(osp.dirname(osp.dirname(path))) == VERSIONED
    assert ds.test_mode == (split != 'train')
    if split == 'train':
        assert ds.metainfo['num_pids'] == NUM_TRAIN_IDS
        # junk of the train folder is dropped
        assert all(d[1] != -1 for d in got)
    if split == 'gallery':
        assert sum(d[1] == 0 for d in got) == 3  # distractors kept
    if split == 'test':
        assert ds.metainfo['num_query'] == len(expected('query'))


def test_same_as_torchreid_on_its_own_layout(market_root):
    """torchreid's process_dir, relabelling included where its set order is
    sorted (always on Market-1501's pids, checked below)."""
    from torchreid.reid.data.datasets.image.market1501 import Market1501
    folder = osp.join(market_root, VERSIONED, 'bounding_box_test')
    theirs = sorted(Market1501.process_dir(None, folder, relabel=False))
    ds = Market1501Dataset(market_root, split='gallery')
    ours = sorted((ds.get_data_info(i)['img_path'],
                   ds.get_data_info(i)['pid'], ds.get_data_info(i)['camid'])
                  for i in range(len(ds)))
    assert ours == [(osp.normpath(p), pid, cam) for p, pid, cam in theirs]
    # 751 pids out of 1..1501, inserted in any order: a set iterates them
    # increasingly, so torchreid's pid2label is our sorted relabelling
    rng = random.Random(0)
    pids = rng.sample(range(1, 1502), 751)
    assert list(set(pids)) == sorted(pids)


def test_layout_without_the_versioned_folder(tmp_path):
    root = write_market1501(str(tmp_path), versioned=False)
    ds = Market1501Dataset(root, split='test')
    assert len(ds) == len(expected('test'))


def test_missing_and_empty_folders_fail_naming_the_path(market_root,
                                                        tmp_path):
    missing = str(tmp_path / 'nowhere')
    with pytest.raises(FileNotFoundError, match='nowhere') as err:
        Market1501Dataset(missing, split='train')
    assert 'bounding_box_train' in str(err.value)  # the expected layout

    # data_root exists, split folder missing
    (tmp_path / 'partial' / 'query').mkdir(parents=True)
    with pytest.raises(FileNotFoundError,
                       match=r'partial/bounding_box_test') as err:
        Market1501Dataset(str(tmp_path / 'partial'), split='gallery')
    assert VERSIONED in str(err.value)

    # an empty folder
    with pytest.raises(FileNotFoundError, match=r'no \.jpg .*partial/query'):
        Market1501Dataset(str(tmp_path / 'partial'), split='query')


def test_bad_file_names_fail_naming_the_file(tmp_path):
    root = write_market1501(str(tmp_path / 'a'), versioned=False)
    bad = osp.join(root, 'query', 'person_c1s1_000001_01.jpg')
    shutil.copy(
        osp.join(root, 'query',
                 sorted(os.listdir(osp.join(root, 'query')))[0]), bad)
    with pytest.raises(ValueError, match='person_c1s1_000001_01.jpg'):
        Market1501Dataset(root, split='test')
    os.remove(bad)
    wrong_cam = osp.join(root, 'query', '0003_c7s1_000001_01.jpg')
    shutil.copy(osp.join(root, 'query', os.listdir(
        osp.join(root, 'query'))[0]), wrong_cam)
    with pytest.raises(ValueError, match='0003_c7s1_000001_01.jpg'):
        Market1501Dataset(root, split='query')


def test_a_folder_that_fools_torchreids_path_search(tmp_path):
    """torchreid searches ``<digits>_c<digit>`` in the whole path."""
    root = write_market1501(str(tmp_path / 'run_1_c2'), versioned=True)
    with pytest.raises(ValueError, match='folder of the path'):
        Market1501Dataset(root, split='query')


def test_bad_split():
    with pytest.raises(ValueError, match='split'):
        Market1501Dataset('x', split='val')


def test_missing_data_root_fails_before_the_runner(tmp_path):
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/ldrld/reid_r50_r18_market1501.py'))
    missing = str(tmp_path / 'market1501')
    cfg.merge_from_dict({
        'model.teacher_ckpt': None,
        'train_dataloader.dataset.data_root': missing
    })
    with pytest.raises(FileNotFoundError) as err:
        check_data_paths(cfg)
    assert f'train_dataloader.dataset.data_root = "{missing}"' in str(
        err.value)


def test_pipelines_of_the_config(market_root):
    """The base config's pipelines (at a test size) give the metainfo the
    metric needs; torchreid's optional crop and erasing run."""
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/_base_/datasets/market1501_bs32.py'))
    small = dict(type='mmpretrain.Resize', scale=(WIDTH * 2, HEIGHT * 2))
    train = [t for t in cfg.train_pipeline]
    train[1] = small
    train = train[:3] + [cfg.random_crop, cfg.random_erasing] + train[3:]
    train[3].transforms[0].scale = (36, 72)  # 1.125 x the small size
    train[3].transforms[1].crop_size = (HEIGHT * 2, WIDTH * 2)
    ds = Market1501Dataset(market_root, split='train', pipeline=train)
    out = ds[0]
    assert out['inputs'].shape == (3, HEIGHT * 2, WIDTH * 2)
    assert out['inputs'].dtype == torch.uint8
    sample = out['data_samples']
    info = ds.get_data_info(0)
    assert (sample.pid, sample.camid, sample.is_query) == (
        info['pid'], info['camid'], False)
    assert int(sample.gt_label) == info['gt_label']

    test = [t for t in cfg.test_pipeline]
    test[1] = small
    ds = Market1501Dataset(market_root, split='test', pipeline=test)
    sample = ds[0]['data_samples']
    assert sample.is_query is True and 'pid' in sample.to_dict()
