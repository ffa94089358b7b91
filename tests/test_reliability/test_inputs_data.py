# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Bad data fails before the first iteration, naming the config key, the
file and the line / label / sample: empty folders, empty or malformed
annotation files, labels outside the classes."""
import json
import re

import pytest
from mmengine.config import Config

from mmlogitkd.apis import check_data_paths
from mmlogitkd.datasets import DigitsDataset, SeededDataset
from mmlogitkd.engine import check_dataset_labels
from .conftest import train


def _check(dataset):
    check_data_paths(
        Config(dict(default_scope='mmlogitkd',
                    train_dataloader=dict(dataset=dataset))))


def _fails(dataset, *fragments):
    with pytest.raises(FileNotFoundError) as err:
        _check(dataset)
    for fragment in ('train_dataloader.dataset', ) + fragments:
        assert fragment in str(err.value), str(err.value)


def test_empty_and_missing_folders(tmp_path):
    empty = tmp_path / 'empty'
    empty.mkdir()
    _fails(dict(type='mmpretrain.CustomDataset', data_root=str(empty)),
           f'image folder "{empty}', 'holds no files')
    _fails(
        dict(
            type='mmpretrain.CustomDataset',
            data_root=str(tmp_path),
            data_prefix='train'), str(tmp_path / 'train'), 'does not exist')
    _fails(
        dict(type='mmpretrain.CUB', data_root=str(empty)),
        f'data_root = "{empty}" is an empty folder')
    (empty / 'class0').mkdir()
    (empty / 'class0' / 'a.png').write_bytes(b'x')
    _check(dict(type='mmpretrain.CustomDataset', data_root=str(empty)))


def test_annotation_lists(tmp_path):
    ann = tmp_path / 'train.txt'
    ds = dict(
        type='mmpretrain.CustomDataset',
        data_root=str(tmp_path),
        ann_file='train.txt',
        classes=['cat', 'dog'])
    ann.write_text('')
    _fails(ds, f'ann_file: "{ann}" is empty')
    ann.write_text('a.png 0\nb.png dog\n')
    _fails(ds, 'line 2 is not "<image path> <class index>"', "'b.png dog'")
    ann.write_text('a.png 0\nb.png 2\n')
    _fails(ds, 'line 2: class index 2 is outside the 2 classes')
    ann.write_text('a.png 0\nb.png 1\n')
    _check(ds)


def test_coco_json(tmp_path):
    ann = tmp_path / 'instances_train.json'
    ds = dict(
        type='mmdet.CocoDataset',
        data_root=str(tmp_path),
        ann_file='instances_train.json')
    ann.write_text('  \n')
    _fails(ds, 'is empty')
    ann.write_text('{"images": [{"id": 1}], "annotations": [')
    _fails(ds, str(ann), 'not a complete JSON document', 'truncated')
    ann.write_text('{"images": [{"id": 1},], "annotations": []}')
    _fails(ds, str(ann), 'does not parse as JSON')
    ann.write_text(json.dumps(dict(images=[], annotations=[])))
    _fails(ds, 'lists no images')
    ann.write_text(json.dumps(dict(images=[dict(id=1)], annotations=[])))
    _check(ds)


def test_market1501_names(tmp_path):
    folder = tmp_path / 'bounding_box_train'
    folder.mkdir()
    ds = dict(type='Market1501Dataset', data_root=str(tmp_path))
    (folder / 'readme.txt').write_text('x')
    _fails(ds, 'holds no .jpg images')
    (folder / '0002_c1s1_000451_03.jpg').write_bytes(b'x')
    _check(ds)
    (folder / 'person_7.jpg').write_bytes(b'x')
    _fails(ds, 'person_7.jpg', '<pid>_c<camera>')


def test_labels_outside_the_head_are_named():
    dataset = DigitsDataset(split='train', train_per_class=2)
    check_dataset_labels(dataset, 10)
    for wrapped in (dataset, SeededDataset(dataset)):
        with pytest.raises(ValueError) as err:
            check_dataset_labels(wrapped, 8)
        msg = str(err.value)
        assert re.search(r'Training label [89] of sample \d+ in '
                         'DigitsDataset', msg), msg
        assert 'outside the 8 classes of the student (labels 0..7)' in msg
        assert '4 of 20 training samples' in msg

    class Coco:
        metainfo = dict(classes=tuple(str(i) for i in range(80)))

    with pytest.raises(ValueError, match='80 classes.*num_classes=10'):
        check_dataset_labels(Coco(), 10, detector=True)


@pytest.mark.e2e
def test_tools_train_stops_before_the_first_iteration(quickstart, tmp_path):
    """A head of 8 classes on the 10 digits: a clear error, not a bare
    IndexError of the cross-entropy some iterations later."""
    result = train(
        quickstart,
        tmp_path / 'w',
        '--cfg-options',
        'model.student.head.num_classes=8',
        'model.teacher.head.num_classes=8',
        timeout=120)
    assert result.returncode != 0
    assert re.search('ValueError: Training label [89] of sample',
                     result.stderr), result.stderr[-3000:]
    assert 'outside the 8 classes of the student' in result.stderr
    assert 'Epoch(train)' not in result.stdout + result.stderr
