# Copyright (c) mmlogitkd contributors. All rights reserved.
"""COCO inputs refused before the first iteration, naming the file: a json
whose categories are listed out of the order of ``classes`` (mmdet numbers
them in listing order), a teacher checkpoint recorded with other classes,
and images the json names that are missing or empty on disk."""
import json
import os
import os.path as osp
import shutil

import pytest
import torch
from mmengine.config import Config

from mmlogitkd.apis import (
    check_class_order,
    check_data_paths,
    coco_checks,
    prepare_runtime_cfg,
)
from mmlogitkd.datasets import make_digits_coco

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CLASSES = tuple(str(i) for i in range(10))
#: a legal listing order: ids kept, categories shuffled
SHUFFLED = ('4', '0', '7', '1', '9', '2', '8', '3', '6', '5')


@pytest.fixture
def coco(tmp_path):
    """The digits COCO set (8 + 4 images), and a copy of its train json
    that lists the same categories (same ids) in another order."""
    out = make_digits_coco(
        str(tmp_path / 'coco'),
        num_train=8,
        num_val=4,
        canvas=(48, 48),
        digits_per_image=(1, 3),
        digit_size=(12, 24),
        seed=0)
    with open(out['ann_file']['train']) as f:
        content = json.load(f)
    by_name = {c['name']: c for c in content['categories']}
    content['categories'] = [by_name[name] for name in SHUFFLED]
    shuffled = osp.join(out['data_root'], 'annotations', 'shuffled.json')
    with open(shuffled, 'w') as f:
        json.dump(content, f)
    out['shuffled'] = shuffled
    return out


def _dataset(coco, split='train', ann_file=None, **kwargs):
    return dict(
        type='CocoDataset',
        data_root=coco['data_root'],
        metainfo=dict(classes=CLASSES),
        ann_file=ann_file or f'annotations/instances_{split}2017.json',
        data_prefix=dict(img=f'{split}2017/'),
        **kwargs)


def _cfg(coco, train=None, val=None, **extra):
    return Config(
        dict(
            default_scope='mmdet',
            train_dataloader=dict(dataset=train or _dataset(coco)),
            val_dataloader=dict(dataset=val or _dataset(coco, 'val')),
            val_evaluator=dict(
                type='CocoMetric', ann_file=coco['ann_file']['val']),
            **extra))


def test_mmdet_numbers_categories_in_listing_order(coco):
    """The premise, read from mmdet itself: with the categories listed out
    of order, label 0 of mmdet's CocoDataset is the category '4', and
    coco_label_order says so."""
    from mmdet.datasets import CocoDataset
    ds = CocoDataset(
        data_root=coco['data_root'],
        ann_file='annotations/shuffled.json',
        data_prefix=dict(img='train2017/'),
        metainfo=dict(classes=CLASSES),
        pipeline=[])
    name_of = {c['id']: c['name'] for c in coco_checks.read_coco_index(
        coco['shuffled']).categories}
    mmdet_order = [name_of[cat_id] for cat_id in ds.cat_ids]
    assert mmdet_order == list(SHUFFLED)
    assert coco_checks.coco_label_order(
        coco_checks.read_coco_index(coco['shuffled']).categories,
        CLASSES) == mmdet_order
    # digit '0' is category id 1: mmdet labels it 1, under the name '1'
    assert ds.cat2label[1] == 1 and ds.metainfo['classes'][1] == '1'


def test_categories_out_of_order_are_refused(coco):
    check_class_order(_cfg(coco))  # the generated files: in order
    cfg = _cfg(coco, train=_dataset(coco, ann_file='annotations/'
                                    'shuffled.json'))
    with pytest.raises(ValueError) as err:
        check_class_order(cfg)
    msg = str(err.value)
    for fragment in ('train_dataloader.dataset.ann_file', coco['shuffled'],
                     repr(list(SHUFFLED)), repr(list(CLASSES)),
                     "label 0 would be the category '4'",
                     "`classes` names '0'", 'listed order',
                     'List the json\'s "categories" in the order of '
                     '`classes`'):
        assert fragment in msg, msg
    # the same json as the COCO metric's: the evaluation set is checked too
    cfg = _cfg(coco)
    cfg.val_evaluator.ann_file = coco['shuffled']
    with pytest.raises(ValueError, match='val_evaluator.ann_file'):
        check_class_order(cfg)


def test_ids_with_gaps_in_class_order_pass(coco):
    """Legal COCO: ids with gaps, listed in the order of the classes."""
    with open(coco['ann_file']['train']) as f:
        content = json.load(f)
    new_id = {c['id']: 10 * c['id'] + 3 for c in content['categories']}
    for c in content['categories']:
        c['id'] = new_id[c['id']]
    for a in content['annotations']:
        a['category_id'] = new_id[a['category_id']]
    with open(coco['shuffled'], 'w') as f:
        json.dump(content, f)
    check_class_order(
        _cfg(coco, train=_dataset(coco, ann_file='annotations/'
                                  'shuffled.json')))


def test_classes_missing_from_the_json_are_named(coco):
    train = _dataset(coco)
    train['metainfo'] = dict(classes=CLASSES + ('10', ))
    with pytest.raises(ValueError, match=r"the classes \['10'\] are not "
                       'among its categories'):
        check_class_order(_cfg(coco, train=train))


def _teacher(path, classes):
    meta = None if classes is None else dict(
        dataset_meta=dict(classes=classes))
    torch.save(dict(meta=meta, state_dict={'w': torch.zeros(1)}), path)
    return str(path)


def test_teacher_with_other_class_order_is_refused(coco, tmp_path):
    model = dict(teacher_ckpt=_teacher(tmp_path / 'same.pth', CLASSES))
    check_class_order(_cfg(coco, model=model))
    model['teacher_ckpt'] = _teacher(tmp_path / 'none.pth', None)
    check_class_order(_cfg(coco, model=model))

    ckpt = _teacher(tmp_path / 'shuffled.pth', SHUFFLED)
    with pytest.raises(ValueError) as err:
        check_class_order(_cfg(coco, model=dict(teacher_ckpt=ckpt)))
    msg = str(err.value)
    for fragment in (f'model.teacher_ckpt: "{ckpt}"', repr(list(SHUFFLED)),
                     repr(list(CLASSES)), 'meta.dataset_meta.classes',
                     "the teacher's logit 0 ('4') would teach the "
                     "student's class 0 ('0')", 'Use a teacher trained'):
        assert fragment in msg, msg

    ckpt = _teacher(tmp_path / 'coco80.pth', [f'c{i}' for i in range(80)])
    with pytest.raises(ValueError, match='80 teacher classes against 10'):
        check_class_order(_cfg(coco, model=dict(teacher_ckpt=ckpt)))


def _remove_and_empty(coco):
    """Remove train image 2, empty val image 3; their paths."""
    gone = osp.join(coco['img_dir']['train'], '000002.png')
    empty = osp.join(coco['img_dir']['val'], '000003.png')
    os.remove(gone)
    open(empty, 'wb').close()
    return gone, empty


def test_missing_and_empty_images_are_named(coco):
    check_data_paths(_cfg(coco))
    gone, empty = _remove_and_empty(coco)
    with pytest.raises(FileNotFoundError) as err:
        check_data_paths(_cfg(coco))
    msg = str(err.value)
    for fragment in (
            'train_dataloader.dataset: 1 of the 8 images that '
            f'"{coco["ann_file"]["train"]}" lists are not on disk under '
            f'"{coco["img_dir"]["train"]}/"', f'"{gone}"',
            'val_dataloader.dataset: 1 of the 4 images',
            'are empty files (0 bytes)', f'"{empty}"', 'Restore them',
            'Replace them'):
        assert fragment in msg, msg


def test_many_missing_images_count_and_first_paths(coco, monkeypatch):
    """The count and the first five paths; a large json (over the full
    parse limit) gives the same answer from its decoded arrays alone."""
    shutil.rmtree(coco['img_dir']['train'])
    os.makedirs(coco['img_dir']['train'])
    for limit in (coco_checks.FULL_PARSE_LIMIT, 0):
        monkeypatch.setattr(coco_checks, 'FULL_PARSE_LIMIT', limit)
        coco_checks._read_index.cache_clear()
        with pytest.raises(FileNotFoundError) as err:
            check_data_paths(_cfg(coco))
        msg = str(err.value)
        assert '8 of the 8 images' in msg, msg
        assert '000005.png" (first 5 shown)' in msg, msg
        assert '000006.png' not in msg


def test_prepare_runtime_cfg_refuses_before_the_runner(coco):
    """tools/train.py's preparation of the detection quick start: the
    shuffled json and the missing image fail there, before any model."""
    def quickstart():
        cfg = Config.fromfile(osp.join(ROOT, 'configs/quickstart_det/kd.py'))
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader'):
            cfg[loader].dataset.data_root = coco['data_root']
        cfg.val_evaluator.ann_file = coco['ann_file']['val']
        cfg.test_evaluator.ann_file = coco['ann_file']['val']
        cfg.model.teacher_ckpt = None
        cfg.work_dir = osp.join(coco['data_root'], 'work')
        return cfg

    prepare_runtime_cfg(quickstart())
    cfg = quickstart()
    cfg.train_dataloader.dataset.ann_file = 'annotations/shuffled.json'
    with pytest.raises(ValueError, match='listed order'):
        prepare_runtime_cfg(cfg)
    os.remove(osp.join(coco['img_dir']['val'], '000004.png'))
    with pytest.raises(FileNotFoundError, match='1 of the 4 images'):
        prepare_runtime_cfg(quickstart())
