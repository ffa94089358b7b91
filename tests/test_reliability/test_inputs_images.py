# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Bad image files fail naming the file on every task, and mmpretrain's
``RandomCrop`` refuses an image smaller than its crop (which it would cut
to its own size, and the batch would zero-pad, silently), once
:func:`~mmlogitkd.datasets.install_image_checks` ran (``tools/train.py``
and ``tools/test.py`` run it through ``prepare_runtime_cfg``)."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose

from mmlogitkd.apis import check_data_paths
from mmlogitkd.datasets import install_image_checks, make_digits_coco
from mmlogitkd.datasets.image_checks import (
    CropLargerThanImageError,
    UnreadableImageError,
)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(autouse=True)
def image_checks():
    install_image_checks()
    install_image_checks()  # a second call changes nothing


def _image(path, h=16, w=16, seed=0):
    rng = np.random.default_rng(seed)
    assert cv2.imwrite(str(path), rng.integers(0, 256, (h, w, 3),
                                               dtype=np.uint8))
    return str(path)


def _classification_set(tmp_path, pipeline):
    """mmpretrain's CustomDataset over a list of three images: the second
    is empty (0 bytes)."""
    from mmpretrain.datasets import CustomDataset
    for i in range(3):
        _image(tmp_path / f'{i}.png', seed=i)
    (tmp_path / '1.png').write_bytes(b'')
    (tmp_path / 'train.txt').write_text('0.png 0\n1.png 1\n2.png 0\n')
    return CustomDataset(
        data_root=str(tmp_path),
        ann_file='train.txt',
        data_prefix='',
        classes=['a', 'b'],
        pipeline=pipeline)


def _named_empty(err, path):
    msg = str(err.value)
    assert f'Image file "{path}" is empty (0 bytes)' in msg, msg
    assert 'Replace it with the original image' in msg, msg


def test_empty_image_premise():
    """Without the check, OpenCV's error does not name the file."""
    from mmcv.transforms import LoadImageFromFile
    loader = LoadImageFromFile()
    original = LoadImageFromFile.transform.__wrapped__
    with pytest.raises(Exception) as err:
        original(loader, dict(img_path=osp.devnull))
    assert osp.devnull not in str(err.value)
    assert 'buf.empty()' in str(err.value)


def test_classification_empty_image_is_named(tmp_path):
    ds = _classification_set(tmp_path,
                             [dict(type='mmpretrain.LoadImageFromFile')])
    assert ds[0]['img'].shape == (16, 16, 3)
    with pytest.raises(UnreadableImageError) as err:
        ds[1]
    _named_empty(err, tmp_path / '1.png')
    # through a data loader worker process too
    loader = torch.utils.data.DataLoader(
        ds, batch_size=3, num_workers=1, collate_fn=lambda batch: batch)
    with pytest.raises(UnreadableImageError) as err:
        next(iter(loader))
    _named_empty(err, tmp_path / '1.png')


def test_corrupt_and_ignored_images(tmp_path):
    from mmcv.transforms import LoadImageFromFile
    bad = tmp_path / 'bad.png'
    bad.write_bytes(b'\x89PNG not an image')
    with pytest.raises(AssertionError, match=f'failed to load image: {bad}'):
        LoadImageFromFile()(dict(img_path=str(bad)))  # mmcv's own message
    (tmp_path / 'empty.png').write_bytes(b'')
    assert LoadImageFromFile(ignore_empty=True)(
        dict(img_path=str(tmp_path / 'empty.png'))) is None
    with pytest.raises(FileNotFoundError, match=str(tmp_path / 'gone.png')):
        LoadImageFromFile()(dict(img_path=str(tmp_path / 'gone.png')))


def test_detection_empty_image_is_named(tmp_path):
    from mmdet.datasets import CocoDataset
    from mmdet.registry import TRANSFORMS
    out = make_digits_coco(
        str(tmp_path / 'coco'), num_train=3, num_val=1, canvas=(32, 32),
        digits_per_image=(1, 1), digit_size=(10, 16))
    empty = osp.join(out['img_dir']['train'], '000002.png')
    open(empty, 'wb').close()
    ds = CocoDataset(
        data_root=out['data_root'],
        ann_file='annotations/instances_train2017.json',
        data_prefix=dict(img='train2017/'),
        metainfo=out['metainfo'],
        pipeline=[
            TRANSFORMS.build(dict(type='LoadImageFromFile')),
            TRANSFORMS.build(dict(type='LoadAnnotations', with_bbox=True))
        ])
    with pytest.raises(UnreadableImageError) as err:
        ds[1]
    _named_empty(err, empty)


def test_reid_empty_image_is_named(tmp_path):
    from mmlogitkd.datasets import Market1501Dataset
    folder = tmp_path / 'bounding_box_train'
    folder.mkdir()
    names = ['0002_c1s1_000451_03.jpg', '0007_c2s3_070952_01.jpg']
    for i, name in enumerate(names):
        _image(folder / name, 32, 16, seed=i)
    empty = folder / names[1]
    empty.write_bytes(b'')
    cfg = Config(dict(train_dataloader=dict(dataset=dict(
        type='Market1501Dataset', data_root=str(tmp_path)))))
    with pytest.raises(FileNotFoundError) as err:
        check_data_paths(cfg)
    assert (f'1 of the 2 images in "{folder}" are empty files (0 bytes) or '
            f'broken links: "{empty}"') in str(err.value)
    # a file emptied after the check: named where it is read
    pipeline = Config.fromfile(
        osp.join(ROOT, 'configs/_base_/datasets/market1501_bs32.py')
    ).test_pipeline
    ds = Market1501Dataset(str(tmp_path), split='train', pipeline=pipeline)
    assert ds[0]['inputs'].shape == (3, 256, 128)
    with pytest.raises(UnreadableImageError) as err:
        ds[1]
    _named_empty(err, empty)


def _crop(size, img_hw, **kwargs):
    t = Compose([dict(type='mmpretrain.RandomCrop', crop_size=size,
                      **kwargs)])
    img = np.full((*img_hw, 3), 255, np.uint8)
    return t(dict(img=img, img_path='/data/small.png', sample_idx=3))


def test_random_crop_smaller_image_is_refused():
    with pytest.raises(CropLargerThanImageError) as err:
        _crop(32, (16, 16))
    msg = str(err.value)
    for fragment in ('Image "/data/small.png" is 16x16',
                     'smaller than the 32x32 crop_size',
                     'cut to 16x16', '(75% of its input padding)',
                     'Set pad_if_needed=True'):
        assert fragment in msg, msg
    with pytest.raises(CropLargerThanImageError,
                       match=r'is 20x40 \(height x width; 24x44 with '
                       r'padding=2\).*cut to 24x32'):
        _crop((32, 32), (20, 40), padding=2)
    # CIFAR: no file, the sample is named
    with pytest.raises(CropLargerThanImageError, match='sample 5'):
        Compose([dict(type='mmpretrain.RandomCrop', crop_size=8)])(
            dict(img=np.zeros((4, 4, 3), np.uint8), sample_idx=5))


def test_random_crop_pads_where_asked_and_is_unchanged_otherwise():
    out = _crop(32, (16, 20), pad_if_needed=True)
    assert out['img'].shape == (32, 32, 3)
    assert (out['img'] == 0).mean() > 0.5  # the zero padding is explicit
    assert _crop(32, (28, 28), padding=4)['img'].shape == (32, 32, 3)
    # large enough images: the same crops as mmpretrain's, same randomness
    from mmpretrain.datasets.transforms import RandomCrop
    t = RandomCrop(crop_size=(12, 10), padding=2)
    img = np.random.default_rng(0).integers(0, 256, (20, 16, 3), np.uint8)
    np.random.seed(1)
    mine = t.transform(dict(img=img.copy()))['img']
    np.random.seed(1)
    theirs = RandomCrop.transform.__wrapped__(t, dict(img=img.copy()))['img']
    np.testing.assert_array_equal(mine, theirs)
    assert mine.shape == (12, 10, 3)


def test_random_crop_in_a_dataset_names_the_file(tmp_path):
    from mmpretrain.datasets import CustomDataset
    _image(tmp_path / 'big.png', 40, 40)
    _image(tmp_path / 'small.png', 16, 16)
    (tmp_path / 'train.txt').write_text('big.png 0\nsmall.png 0\n')
    ds = CustomDataset(
        data_root=str(tmp_path), ann_file='train.txt', data_prefix='',
        classes=['a'],
        pipeline=[dict(type='mmpretrain.LoadImageFromFile'),
                  dict(type='mmpretrain.RandomCrop', crop_size=32)])
    assert ds[0]['img'].shape == (32, 32, 3)
    with pytest.raises(CropLargerThanImageError,
                       match=f'Image "{tmp_path / "small.png"}" is 16x16'):
        ds[1]
