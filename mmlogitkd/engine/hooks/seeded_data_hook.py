# Copyright (c) mmlogitkd contributors. All rights reserved.
import random

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log

from mmlogitkd.datasets.seeded import SeededDataset, SeededSampler, epoch_seed
from mmlogitkd.registry import HOOKS


@HOOKS.register_module()
class SeededDataHook(Hook):
    """Training randomness as a function of (seed, epoch), for
    :class:`~mmlogitkd.datasets.SeededDataset`.

    - before training, gives a :class:`SeededDataset` without a seed the
      runner's (resumed) seed;
    - before every epoch, tells the dataset and the sampler the epoch (the
      sampler also carries it to persistent workers with every index);
    - at the first iteration of every epoch, after the data loader's
      iterator is made, reseeds the main process's Python, numpy and torch
      (CPU and CUDA) RNGs from (seed, epoch): batch augments (Mixup), random
      layers (dropout, drop path) then draw the same numbers in a resumed
      run as in an uninterrupted one, whatever the number of workers (a
      worker-less loader draws from the main RNG; persistent workers do
      not draw again).

    ``tools/train.py`` adds it with the dataset and sampler wrappers
    (:func:`~mmlogitkd.apis.apply_seeded_data`).
    """

    priority = 'NORMAL'

    def __init__(self) -> None:
        self._seed = 0

    def before_train(self, runner) -> None:
        loader = runner.train_loop.dataloader
        dataset = loader.dataset
        if isinstance(dataset, SeededDataset):
            if dataset.seed is None:
                dataset.seed = runner.seed
            self._seed = dataset.seed
        else:
            self._seed = runner.seed or 0
        if loader.num_workers > 0 and getattr(
                loader, 'persistent_workers', False) and not isinstance(
                    loader.sampler, SeededSampler):
            print_log(
                'SeededDataHook: persistent data workers do not see the '
                'epoch unless the sampler is a SeededSampler; samples are '
                'seeded as in the first epoch, every epoch.',
                logger='current',
                level=30)  # WARNING

    def before_train_epoch(self, runner) -> None:
        loader = runner.train_loop.dataloader
        if hasattr(loader.dataset, 'set_epoch'):
            loader.dataset.set_epoch(runner.epoch)
        if isinstance(loader.sampler, SeededSampler):
            loader.sampler.set_epoch(runner.epoch)

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        if batch_idx != 0:
            return
        seed = epoch_seed(self._seed, runner.epoch)
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
