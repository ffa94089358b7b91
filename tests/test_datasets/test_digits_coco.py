# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The COCO-format digit detection dataset (mmlogitkd/datasets/digits_coco.py)
checked against independent computations: boxes recomputed from the written
pixels, labels from scikit-learn, loading by pycocotools and mmdet."""
import contextlib
import io
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from sklearn.datasets import load_digits

import mmlogitkd  # noqa: F401  (torchvision shims before mmdet)
from mmlogitkd.datasets import make_digits_coco

CLASSES = tuple(str(i) for i in range(10))
# tiny: the whole module runs in a few seconds
SMALL = dict(
    num_train=12,
    num_val=6,
    canvas=(64, 80),
    digits_per_image=(1, 3),
    digit_size=(12, 28),
    empty_images=2,
    seed=3)
SPLITS = ('train', 'val')


def _load(out, split):
    with open(out['ann_file'][split]) as f:
        return json.load(f)


def _read_rgb(path):
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    assert img is not None, path
    return img[..., ::-1].astype(np.int32)


def _files(root):
    """``{relative path: bytes}`` of every file under ``root``."""
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = osp.join(folder, name)
            with open(path, 'rb') as f:
                found[osp.relpath(path, root)] = f.read()
    return found


@pytest.fixture(scope='module')
def small(tmp_path_factory):
    return make_digits_coco(str(tmp_path_factory.mktemp('small')), **SMALL)


def test_layout_and_categories(small):
    root = small['data_root']
    assert small['generated']
    assert small['metainfo'] == dict(classes=CLASSES)
    for split in SPLITS:
        assert small['ann_file'][split] == osp.join(
            root, 'annotations', f'instances_{split}2017.json')
        assert small['img_dir'][split] == osp.join(root, f'{split}2017')
        coco = _load(small, split)
        # COCO-style ids 1..10, names '0'..'9'
        assert [(c['id'], c['name']) for c in coco['categories']] == [
            (i + 1, str(i)) for i in range(10)
        ]
        num = SMALL[f'num_{split}'] + SMALL['empty_images']
        assert len(coco['images']) == num
        assert len({im['id'] for im in coco['images']}) == num
        assert sorted(os.listdir(small['img_dir'][split])) == sorted(
            im['file_name'] for im in coco['images'])
        h, w = SMALL['canvas']
        for im in coco['images']:
            assert (im['height'], im['width']) == (h, w)
            img = _read_rgb(osp.join(small['img_dir'][split],
                                     im['file_name']))
            assert img.shape == (h, w, 3)
        ann_ids = [a['id'] for a in coco['annotations']]
        assert len(set(ann_ids)) == len(ann_ids) and min(ann_ids) >= 1
        assert small['stats'][split] == dict(
            images=num, instances=len(coco['annotations']))


def test_labels_counts_and_boxes_in_canvas(small):
    _, labels = load_digits(return_X_y=True)
    h, w = SMALL['canvas']
    for split in SPLITS:
        coco = _load(small, split)
        per_image = {im['id']: [] for im in coco['images']}
        for ann in coco['annotations']:
            per_image[ann['image_id']].append(ann)
            # the label of the source digit, read from sklearn itself
            assert ann['category_id'] == labels[ann['digit_index']] + 1
            assert ann['iscrowd'] == 0
            x, y, bw, bh = ann['bbox']
            assert ann['area'] == bw * bh > 0
            assert 0 <= x and x + bw <= w and 0 <= y and y + bh <= h
            # boxes of a 12-28 px digit, tight around its ink
            assert 1 <= bw <= 28 and 4 <= bh <= 28
        counts = [len(v) for v in per_image.values()]
        num = SMALL[f'num_{split}']
        # the first `num` images hold 1..3 digits, the last ones none
        assert all(1 <= c <= 3 for c in counts[:num]), counts
        assert counts[num:] == [0] * SMALL['empty_images']
        # max_overlap=0: the boxes of an image do not intersect
        for anns in per_image.values():
            for i, a in enumerate(anns):
                for b in anns[i + 1:]:
                    ax, ay, aw, ah = a['bbox']
                    bx, by, bw, bh = b['bbox']
                    assert (ax + aw <= bx or bx + bw <= ax or ay + ah <= by
                            or by + bh <= ay)


def test_train_val_digits_disjoint(small):
    used = {
        split: {a['digit_index']
                for a in _load(small, split)['annotations']}
        for split in SPLITS
    }
    assert used['train'] and used['val']
    assert not used['train'] & used['val']


def test_boxes_are_tight(tmp_path):
    """On a flat background, the ink is every pixel that differs from the
    background by more than ``ink_thr`` of the digit's full contrast: its
    bounding box, measured on the written PNG, is the annotation's."""
    out = make_digits_coco(
        str(tmp_path),
        num_train=20,
        num_val=4,
        canvas=(48, 48),
        digits_per_image=(1, 1),
        digit_size=(12, 40),
        background='plain',
        ink_thr=0.25,
        seed=1)
    checked = 0
    for split in SPLITS:
        coco = _load(out, split)
        anns = {a['image_id']: a for a in coco['annotations']}
        for im in coco['images']:
            img = _read_rgb(osp.join(out['img_dir'][split], im['file_name']))
            # one digit per image: the median colour is the background
            bg = np.median(img.reshape(-1, 3), axis=0)
            diff = np.abs(img - bg).max(axis=2)
            ys, xs = np.nonzero(diff > 0.25 * diff.max())
            measured = np.array([
                xs.min(), ys.min(),
                xs.max() - xs.min() + 1,
                ys.max() - ys.min() + 1
            ])
            box = np.array(anns[im['id']]['bbox'])
            assert np.abs(measured - box).max() <= 1, (im, measured, box)
            checked += 1
    assert checked == 24


def test_layout_independent_of_background(small, tmp_path):
    """The textured images share the layout of the flat ones: their boxes
    are the (tight) boxes checked above."""
    plain = make_digits_coco(str(tmp_path), background='plain', **SMALL)
    for split in SPLITS:
        assert _load(plain, split)['annotations'] == _load(
            small, split)['annotations']


def test_deterministic_cache_and_regeneration(small, tmp_path):
    again = make_digits_coco(str(tmp_path / 'again'), **SMALL)
    assert _files(again['data_root']) == _files(small['data_root'])

    other = make_digits_coco(str(tmp_path / 'other'), **{**SMALL, 'seed': 4})
    assert _load(other, 'train')['annotations'] != _load(
        small, 'train')['annotations']

    # same arguments: nothing is rewritten
    ann = again['ann_file']['train']
    os.utime(ann, (1, 1))
    kept = make_digits_coco(str(tmp_path / 'again'), **SMALL)
    assert not kept['generated'] and os.stat(ann).st_mtime == 1
    assert kept['stats'] == small['stats']
    # other arguments: regenerated, without stale images
    redone = make_digits_coco(
        str(tmp_path / 'again'), **{
            **SMALL, 'num_train': 3,
            'empty_images': 0
        })
    assert redone['generated'] and os.stat(ann).st_mtime != 1
    assert len(os.listdir(redone['img_dir']['train'])) == 3
    with open(redone['meta_file']) as f:
        assert json.load(f)['args']['num_train'] == 3


def test_pycocotools_loads_and_scores_gt(small):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    for split in SPLITS:
        with contextlib.redirect_stdout(io.StringIO()):
            gt = COCO(small['ann_file'][split])
        data = _load(small, split)
        assert len(gt.getImgIds()) == len(data['images'])
        assert len(gt.getAnnIds()) == len(data['annotations'])
        assert gt.getCatIds(catNms=list(CLASSES)) == list(range(1, 11))
        # the ground truth as detections scores AP 1
        dets = [
            dict(
                image_id=a['image_id'],
                category_id=a['category_id'],
                bbox=a['bbox'],
                score=1.) for a in data['annotations']
        ]
        with contextlib.redirect_stdout(io.StringIO()):
            evaluator = COCOeval(gt, gt.loadRes(dets), 'bbox')
            evaluator.evaluate()
            evaluator.accumulate()
            evaluator.summarize()
        assert evaluator.stats[0] == pytest.approx(1.)


def test_mmdet_coco_dataset_loads(small):
    from mmcv.transforms import LoadImageFromFile
    from mmdet.datasets import CocoDataset
    from mmdet.datasets.transforms import LoadAnnotations
    for split in SPLITS:
        data = _load(small, split)
        ds = CocoDataset(
            data_root=small['data_root'],
            ann_file=f'annotations/instances_{split}2017.json',
            data_prefix=dict(img=f'{split}2017/'),
            metainfo=small['metainfo'],
            filter_cfg=dict(filter_empty_gt=False),
            pipeline=[
                dict(type=LoadImageFromFile),
                dict(type=LoadAnnotations, with_bbox=True)
            ])
        assert ds.metainfo['classes'] == CLASSES
        assert len(ds) == len(data['images'])
        assert sum(len(ds.get_data_info(i)['instances'])
                   for i in range(len(ds))) == len(data['annotations'])
        by_id = {}
        for a in data['annotations']:
            by_id.setdefault(a['image_id'], []).append(a)
        for i in range(len(ds)):
            sample = ds[i]
            anns = by_id.get(sample['img_id'], [])
            assert sample['img'].shape == (*SMALL['canvas'], 3)
            # mmdet's labels are 0-based indices into `classes`: the digit
            assert list(sample['gt_bboxes_labels']) == [
                a['category_id'] - 1 for a in anns
            ]
            expect = np.array([[x, y, x + w, y + h]
                               for x, y, w, h in (a['bbox'] for a in anns)],
                              dtype=np.float32).reshape(-1, 4)
            np.testing.assert_array_equal(
                np.asarray(sample['gt_bboxes'].tensor), expect)
        # training filters out the empty images
        train_ds = CocoDataset(
            data_root=small['data_root'],
            ann_file=f'annotations/instances_{split}2017.json',
            data_prefix=dict(img=f'{split}2017/'),
            metainfo=small['metainfo'],
            filter_cfg=dict(filter_empty_gt=True),
            pipeline=[])
        assert len(train_ds) == SMALL[f'num_{split}']


def test_cli(tmp_path, capsys):
    import importlib.util
    path = osp.join(
        osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
        'tools', 'dataset_converters', 'make_digits_coco.py')
    spec = importlib.util.spec_from_file_location('make_digits_coco_cli',
                                                  path)
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    root = str(tmp_path / 'cli')
    args = [
        root, '--num-train', '2', '--num-val', '1', '--canvas', '32', '32',
        '--digit-size', '10', '16', '--empty-images', '1'
    ]
    assert cli.main(args) == 0
    assert 'train: 3 images' in capsys.readouterr().out
    with open(osp.join(root, 'annotations', 'instances_val2017.json')) as f:
        assert len(json.load(f)['images']) == 2
    assert cli.main(args) == 0
    assert 'up to date' in capsys.readouterr().out
    # a digit larger than the canvas is refused
    assert cli.main([root, '--canvas', '32', '32']) == 1
    assert 'does not fit' in capsys.readouterr().err
