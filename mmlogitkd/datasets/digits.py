# Copyright (c) mmlogitkd contributors. All rights reserved.
"""scikit-learn's handwritten digits as an image classification dataset.

The 1,797 8x8 grey images of ``sklearn.datasets.load_digits`` ship inside
the scikit-learn package, so this dataset needs no download and no files: it
is the real labelled data of the README's quick start (``configs/quickstart``,
``tools/quickstart.py``).
"""
import functools
from typing import List, Optional, Sequence

import numpy as np
from mmpretrain.datasets import BaseDataset

from mmlogitkd.registry import DATASETS

DIGITS_CLASSES = tuple(str(i) for i in range(10))


@functools.lru_cache(maxsize=1)
def load_digits_arrays():
    """``(images [1797, 8, 8] float in [0, 16], labels [1797] int64)``, read
    once per process (treat them as read-only)."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:  # pragma: no cover - depends on the env
        raise ImportError(
            'DigitsDataset reads the digits that ship inside scikit-learn, '
            'which is not installed. Install it with `pip install '
            'scikit-learn` (tools/install.sh does).') from e
    digits = load_digits()
    images, labels = digits.images, digits.target.astype(np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def stratified_split(labels: np.ndarray,
                     test_ratio: float,
                     seed: int,
                     train_per_class: Optional[int] = None):
    """Deterministic stratified split of sample indices.

    In each class, a ``seed``-fixed permutation puts the first
    ``round(test_ratio * n_class)`` samples in the test split and the rest in
    the train split, of which only the first ``train_per_class`` are kept
    when given (to make labelled data scarce). The test split never depends
    on ``train_per_class``.

    Returns:
        tuple[ndarray, ndarray]: sorted train and test indices.
    """
    if not 0. < test_ratio < 1.:
        raise ValueError(f'test_ratio must be in (0, 1), got {test_ratio}')
    rng = np.random.RandomState(seed)
    train, test = [], []
    for cls in np.unique(labels):
        idx = np.flatnonzero(labels == cls)
        idx = idx[rng.permutation(len(idx))]
        n_test = int(round(test_ratio * len(idx)))
        if not 0 < n_test < len(idx):
            raise ValueError(f'test_ratio={test_ratio} leaves class {cls} '
                             f'({len(idx)} samples) with an empty split')
        test.append(idx[:n_test])
        rest = idx[n_test:]
        if train_per_class is not None:
            if train_per_class < 1:
                raise ValueError('train_per_class must be >= 1, got '
                                 f'{train_per_class}')
            rest = rest[:train_per_class]
        train.append(rest)
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def digits_to_uint8(images: np.ndarray, img_size: int = 8) -> np.ndarray:
    """``[N, 8, 8]`` values in ``[0, 16]`` -> ``[N, S, S, 3]`` uint8 images
    (grey replicated to three channels), bilinearly resized to ``S``."""
    imgs = np.clip(np.rint(images * (255. / 16.)), 0, 255).astype(np.uint8)
    if img_size != imgs.shape[-1]:
        import cv2
        imgs = np.stack([
            cv2.resize(
                img, (img_size, img_size), interpolation=cv2.INTER_LINEAR)
            for img in imgs
        ])
    return np.ascontiguousarray(np.repeat(imgs[..., None], 3, axis=-1))


@DATASETS.register_module()
class DigitsDataset(BaseDataset):
    """The handwritten digits of scikit-learn (UCI optdigits test set).

    1,797 grey 8x8 images of the digits 0-9 (about 180 per class), loaded
    with ``sklearn.datasets.load_digits()`` from the copy that ships inside
    scikit-learn, so nothing is downloaded. A deterministic stratified split
    (:func:`stratified_split`) makes the train and test sets; every sample is
    ``dict(img=HxWx3 uint8 ndarray, gt_label=int)`` as mmpretrain's
    transforms expect (``img_shape``/``ori_shape`` are set too). There are no
    files, so ``ann_file``/``data_root`` stay empty.

    Args:
        split (str): ``'train'`` or ``'test'``.
        test_ratio (float): Fraction of each class held out for testing.
            Defaults to 0.5.
        train_per_class (int, optional): Keep at most this many training
            images per class (labelled data made scarce). Defaults to None,
            all that are not in the test split.
        seed (int): Seed of the split (not of training). Defaults to 0.
        img_size (int): Side of the images after a bilinear resize of the
            8x8 originals. Defaults to 8 (no resize).
        pipeline (Sequence[dict]): Data transforms.
        test_mode (bool): Defaults to ``split == 'test'``.
        **kwargs: Other arguments of mmpretrain's ``BaseDataset`` (e.g.
            ``indices`` to take a subset).

    Example:
        >>> ds = DigitsDataset(split='train', train_per_class=20,
        ...                    img_size=16)
        >>> len(ds), ds[0]['img'].shape
        (200, (16, 16, 3))
    """

    METAINFO = dict(classes=DIGITS_CLASSES)

    def __init__(self,
                 split: str = 'train',
                 test_ratio: float = 0.5,
                 train_per_class: Optional[int] = None,
                 seed: int = 0,
                 img_size: int = 8,
                 pipeline: Sequence = (),
                 test_mode: Optional[bool] = None,
                 **kwargs) -> None:
        if split not in ('train', 'test'):
            raise ValueError(f'split must be "train" or "test", got {split!r}')
        if int(img_size) < 1:
            raise ValueError(f'img_size must be >= 1, got {img_size}')
        self.split = split
        self.test_ratio = test_ratio
        self.train_per_class = train_per_class
        self.seed = seed
        self.img_size = int(img_size)
        if test_mode is None:
            test_mode = split == 'test'
        super().__init__(
            ann_file='', pipeline=pipeline, test_mode=test_mode, **kwargs)

    def load_data_list(self) -> List[dict]:
        images, labels = load_digits_arrays()
        train_idx, test_idx = stratified_split(labels, self.test_ratio,
                                               self.seed, self.train_per_class)
        idx = train_idx if self.split == 'train' else test_idx
        imgs = digits_to_uint8(images[idx], self.img_size)
        shape = imgs.shape[1:3]
        return [
            dict(
                img=img,
                gt_label=int(label),
                img_shape=shape,
                ori_shape=shape)
            for img, label in zip(imgs, labels[idx])
        ]

    def extra_repr(self) -> List[str]:
        return [
            f'Split: \t{self.split}',
            f'Test ratio: \t{self.test_ratio}',
            f'Train per class: \t{self.train_per_class}',
            f'Split seed: \t{self.seed}',
            f'Image size: \t{self.img_size}',
        ]
