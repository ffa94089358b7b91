# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Training labels with a seeded, exactly sized amount of label noise.

LDRLD suppl. Tab. 18 distils with "noisy labels with a noise rate of 0.1";
:class:`NoisyLabelDataset` wraps any classification dataset of mmengine's
``BaseDataset`` kind (every data info has an integer ``gt_label``) so that
any config can train on such labels::

    train_dataloader = dict(dataset=dict(
        type='mmlogitkd.NoisyLabelDataset', noise_rate=0.1, seed=0,
        mode='symmetric', dataset=dict(type='mmpretrain.CIFAR100', ...)))
"""
import copy
import math
from typing import Optional, Union

import numpy as np
from torch.utils.data import Dataset

from mmlogitkd.registry import DATASETS

NOISE_MODES = ('symmetric', 'pair')


def make_noisy_labels(labels: np.ndarray,
                      num_classes: int,
                      noise_rate: float,
                      seed: int = 0,
                      mode: str = 'symmetric') -> np.ndarray:
    """Flip exactly ``round(noise_rate * N)`` of ``N`` labels.

    The samples to flip are a uniformly drawn subset of that size; a flipped
    label is never the clean one:

    - ``'symmetric'``: a class drawn uniformly from the other
      ``num_classes - 1`` (the usual "symmetric" noise with the noise rate
      as the exact fraction of wrong labels);
    - ``'pair'``: the next class, ``(y + 1) % num_classes`` (pair flipping).

    Deterministic in ``seed`` (numpy's ``default_rng``), independent of the
    run's seed and of any global RNG.

    Returns:
        np.ndarray: ``int64 [N]`` noisy labels.
    """
    if mode not in NOISE_MODES:
        raise ValueError(f'mode must be one of {NOISE_MODES}, got {mode!r}')
    rate = float(noise_rate)
    if not (math.isfinite(rate) and 0.0 <= rate <= 1.0):
        raise ValueError(f'noise_rate must be in [0, 1], got {noise_rate!r}')
    labels = np.asarray(labels, dtype=np.int64)
    if labels.ndim != 1:
        raise ValueError('labels must be one integer per sample')
    num_classes = int(num_classes)
    if num_classes < 2:
        raise ValueError(f'label noise needs >= 2 classes, got {num_classes}')
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f'labels must be in [0, {num_classes}), got '
            f'[{labels.min()}, {labels.max()}]')
    n = labels.size
    num_flip = int(round(rate * n))
    rng = np.random.default_rng(int(seed))
    flip = rng.choice(n, size=num_flip, replace=False)
    noisy = labels.copy()
    if mode == 'symmetric':
        shift = rng.integers(1, num_classes, size=num_flip)
    else:
        shift = np.ones(num_flip, dtype=np.int64)
    noisy[flip] = (labels[flip] + shift) % num_classes
    return noisy


@DATASETS.register_module()
class NoisyLabelDataset(Dataset):
    """A classification dataset with a seeded fraction of wrong labels.

    Exactly ``round(noise_rate * len(dataset))`` samples get another label
    (see :func:`make_noisy_labels`), fixed once for the whole run by
    ``seed`` (not by the run's seed, so every method of a comparison sees
    the same noisy labels). The wrapped dataset's pipeline then runs on the
    data info with the noisy ``gt_label``, so everything downstream (the
    task loss, the targets of DKD / NKD, ...) sees the noisy label; images
    and augmentation are untouched. Works inside
    :class:`~mmlogitkd.datasets.SeededDataset` (which ``tools/train.py``
    adds around the training set).

    Args:
        dataset (dict | BaseDataset): The dataset (mmengine ``BaseDataset``
            with an integer ``gt_label`` in every data info), or its config.
        noise_rate (float): Fraction of labels to change, in [0, 1].
        seed (int): Seed of the noise. Defaults to 0.
        mode (str): ``'symmetric'`` (default: a uniformly drawn other
            class) or ``'pair'`` (the next class).
        num_classes (int, optional): Number of classes. Defaults to the
            length of the dataset's ``metainfo['classes']``, else the
            largest label + 1.

    Attributes:
        clean_labels, noisy_labels (np.ndarray): ``int64 [N]``.
        flipped (np.ndarray): ``bool [N]``, where the two differ.
    """

    def __init__(self,
                 dataset: Union[dict, Dataset],
                 noise_rate: float,
                 seed: int = 0,
                 mode: str = 'symmetric',
                 num_classes: Optional[int] = None) -> None:
        self.dataset = DATASETS.build(dataset) if isinstance(
            dataset, dict) else dataset
        for attr in ('get_data_info', 'pipeline'):
            if not hasattr(self.dataset, attr):
                raise TypeError(
                    'NoisyLabelDataset wraps an mmengine BaseDataset (with '
                    f'get_data_info and pipeline); {type(self.dataset)} has '
                    f'no {attr}')
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()
        self.noise_rate = float(noise_rate)
        self.seed = int(seed)
        self.mode = mode
        clean = []
        for i in range(len(self.dataset)):
            label = self.dataset.get_data_info(i).get('gt_label')
            if np.ndim(label) != 0 or label is None:
                raise TypeError(
                    'NoisyLabelDataset needs one integer gt_label per '
                    f'sample; sample {i} has {label!r}')
            clean.append(int(label))
        self.clean_labels = np.asarray(clean, dtype=np.int64)
        if num_classes is None:
            classes = (getattr(self.dataset, 'metainfo', None)
                       or {}).get('classes')
            num_classes = len(classes) if classes else (
                int(self.clean_labels.max()) + 1
                if self.clean_labels.size else 0)
        self.num_classes = int(num_classes)
        self.noisy_labels = make_noisy_labels(self.clean_labels,
                                              self.num_classes,
                                              self.noise_rate, self.seed,
                                              mode)
        self.flipped = self.noisy_labels != self.clean_labels

    def full_init(self) -> None:
        """The wrapped dataset is fully initialised at construction."""

    def __len__(self) -> int:
        return len(self.dataset)

    def get_data_info(self, idx: int) -> dict:
        """The wrapped dataset's data info with the noisy ``gt_label``."""
        info = copy.copy(self.dataset.get_data_info(idx))
        info['gt_label'] = int(self.noisy_labels[idx])
        return info

    def get_gt_labels(self) -> np.ndarray:
        """The noisy labels (what training sees)."""
        return self.noisy_labels.copy()

    def get_cat_ids(self, idx: int):
        return [int(self.noisy_labels[idx])]

    def __getitem__(self, idx: int):
        # mmengine's BaseDataset.__getitem__ with the noisy data info: in
        # training, a sample the pipeline drops is replaced by a random one
        # (numpy's global RNG, which SeededDataset seeds)
        inner = self.dataset
        if getattr(inner, 'test_mode', False):
            data = inner.pipeline(self.get_data_info(idx))
            if data is None:
                raise RuntimeError(
                    f'the test pipeline returned None for sample {idx}')
            return data
        for _ in range(getattr(inner, 'max_refetch', 1000) + 1):
            data = inner.pipeline(self.get_data_info(idx))
            if data is not None:
                return data
            idx = np.random.randint(0, len(self))
        raise RuntimeError('cannot find a valid sample after '
                           f'{getattr(inner, "max_refetch", 1000)} tries')

    def __getattr__(self, name: str):
        # metainfo, test_mode, ... are the wrapped dataset's
        if name == 'dataset' or name.startswith('__'):
            raise AttributeError(name)
        return getattr(self.dataset, name)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(noise_rate={self.noise_rate}, '
                f'mode={self.mode!r}, seed={self.seed}, '
                f'flipped={int(self.flipped.sum())}/{len(self)}, '
                f'dataset={self.dataset!r})')
