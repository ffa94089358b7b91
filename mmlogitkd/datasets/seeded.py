# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Training data as a pure function of (seed, epoch, sample index).

mmengine seeds each data-loader worker once, from (seed, rank, worker id):
which random crop a sample gets then depends on the number of workers, on
which worker happens to load it, and on every sample that worker loaded
before; with ``num_workers=0`` it depends on the main process's RNG, which a
resumed run does not restore. A run is therefore neither reproducible across
worker counts nor exactly resumable.

Here every sample's pipeline runs under RNGs (Python ``random``, numpy's
global RNG, torch's CPU generator) seeded from a hash of (seed, epoch,
index), and the caller's RNG states are restored afterwards:

- :class:`SeededDataset` wraps any map-style dataset;
- :class:`SeededSampler` wraps the index sampler (``DefaultSampler``, ...)
  and yields ``(epoch, index)`` keys. The epoch travels with every index
  because worker processes hold their own copy of the dataset: with
  ``persistent_workers=True`` they never see a ``set_epoch`` made in the
  main process after they started, but they do get every key the sampler
  yields;
- :class:`~mmlogitkd.engine.SeededDataHook` gives the dataset the runner's
  seed when the config sets none, and reseeds the main process's RNGs
  (batch augments, dropout) from (seed, epoch) at the first iteration of
  every epoch.

:func:`~mmlogitkd.apis.apply_seeded_data` (run by
``tools/train.py``) puts the three in place for epoch-based training.
"""
import contextlib
import random
from typing import Iterator, Optional, Tuple, Union

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from mmlogitkd.registry import DATA_SAMPLERS, DATASETS

_MASK64 = (1 << 64) - 1


def sample_seed(seed: int, epoch: int, index: int) -> int:
    """A 32-bit seed for sample ``index`` in ``epoch`` of a run seeded with
    ``seed`` (numpy's ``SeedSequence`` hash: nearby inputs give unrelated
    seeds)."""
    sequence = np.random.SeedSequence(
        int(seed) & _MASK64, spawn_key=(0, int(epoch), int(index)))
    return int(sequence.generate_state(1)[0])


def epoch_seed(seed: int, epoch: int) -> int:
    """A 32-bit seed for the main process in ``epoch``, unrelated to every
    :func:`sample_seed`."""
    sequence = np.random.SeedSequence(
        int(seed) & _MASK64, spawn_key=(1, int(epoch)))
    return int(sequence.generate_state(1)[0])


@contextlib.contextmanager
def seeded_rngs(seed: int):
    """Run the body with Python's, numpy's global and torch's CPU RNG
    seeded with ``seed``, then put the caller's states back, so that data
    loading in the main process (``num_workers=0``) leaves the training's
    RNGs as they were. CUDA RNGs are not touched."""
    states = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    random.seed(seed)
    np.random.seed(seed)
    torch.random.default_generator.manual_seed(seed)
    try:
        yield
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.set_rng_state(states[2])


@DATASETS.register_module()
class SeededDataset(Dataset):
    """Run a dataset's pipeline under RNGs seeded per (seed, epoch, index).

    Indexed with ``(epoch, index)`` (what :class:`SeededSampler` yields) or
    a plain ``index`` (the epoch of :meth:`set_epoch`). Everything else
    (``metainfo``, ``get_data_info``, ``get_gt_labels``, ...) is the wrapped
    dataset's. mmengine's refetch of a sample the pipeline drops draws from
    numpy's seeded RNG too, so it is reproducible as well.

    Random transforms must draw from Python ``random``, numpy's global RNG
    or torch's default CPU generator (mmcv / mmpretrain / mmdet transforms,
    torchvision do); a transform with its own generator is not covered.

    Every sample's data sample is tagged with the key it was drawn from,
    metainfo ``seeded_epoch`` (the augmentation epoch, after ``cycle``) and
    ``seeded_index``: what a teacher cache
    (:class:`~mmlogitkd.distillers.TeacherLogitCache`) is indexed by.

    Args:
        dataset (dict | Dataset): The dataset, or its config.
        seed (int, optional): The run's seed. None: set by
            :class:`~mmlogitkd.engine.SeededDataHook` from the runner's seed
            before training (0 outside a runner).
        cycle (int, optional): Replay the augmentation of epoch
            ``epoch % cycle``: set to the epochs of a teacher cache (or the
            top-level ``augment_cycle`` of a config), so that every epoch
            of a longer run sees samples whose teacher logits are cached.
            None (default): every epoch draws its own.
    """

    def __init__(self,
                 dataset: Union[dict, Dataset],
                 seed: Optional[int] = None,
                 cycle: Optional[int] = None) -> None:
        self.dataset = DATASETS.build(dataset) if isinstance(
            dataset, dict) else dataset
        self.seed = seed
        if cycle is not None and (int(cycle) != cycle or cycle < 1):
            raise ValueError(f'cycle must be a positive int, got {cycle!r}')
        self.cycle = None if cycle is None else int(cycle)
        self.epoch = 0

    def full_init(self) -> None:
        """Initialise the wrapped dataset (mmengine's lazy init)."""
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()

    def set_epoch(self, epoch: int) -> None:
        """The epoch of plain integer keys (not of ``(epoch, index)``)."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key: Union[int, Tuple[int, int]]):
        epoch, index = key if isinstance(key, tuple) else (self.epoch, key)
        if self.cycle:
            epoch %= self.cycle
        seed = sample_seed(self.seed or 0, epoch, index)
        with seeded_rngs(seed):
            data = self.dataset[index]
        samples = data.get('data_samples') if isinstance(data, dict) else None
        if hasattr(samples, 'set_metainfo'):
            samples.set_metainfo(
                dict(seeded_epoch=int(epoch), seeded_index=int(index)))
        return data

    def __getattr__(self, name: str):
        # only called when normal lookup fails; `dataset` itself may be
        # missing while unpickling (spawned workers): no recursion then
        if name == 'dataset' or name.startswith('__'):
            raise AttributeError(name)
        return getattr(self.dataset, name)

    def __repr__(self) -> str:
        cycle = f', cycle={self.cycle}' if self.cycle else ''
        return (f'{type(self).__name__}(seed={self.seed}{cycle}, '
                f'dataset={self.dataset!r})')


@DATA_SAMPLERS.register_module()
class SeededSampler(Sampler):
    """Yield ``(epoch, index)`` for every index of a wrapped sampler.

    The order is the wrapped sampler's (mmengine's ``DefaultSampler``
    shuffles with ``seed + epoch``); ``set_epoch`` (mmengine's
    ``DistSamplerSeedHook``) goes to both. The epoch rides along with every
    index so that a :class:`SeededDataset` in a persistent worker knows it.

    Args:
        dataset (Dataset): The dataset (given by the runner).
        sampler (dict | Sampler): The index sampler or its config, built
            with the runner's ``dataset`` and ``seed``.
        seed (int, optional): The runner's seed, for ``sampler``'s build.
    """

    def __init__(self,
                 dataset: Dataset,
                 sampler: Union[dict, Sampler],
                 seed: Optional[int] = None) -> None:
        if isinstance(sampler, dict):
            sampler = DATA_SAMPLERS.build(
                sampler, default_args=dict(dataset=dataset, seed=seed))
        self.sampler = sampler
        self.epoch = 0

    def __iter__(self) -> Iterator[Tuple[int, int]]:
        epoch = self.epoch
        for index in self.sampler:
            yield epoch, int(index)

    def __len__(self) -> int:
        return len(self.sampler)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)
        if hasattr(self.sampler, 'set_epoch'):
            self.sampler.set_epoch(epoch)

    def __getattr__(self, name: str):
        if name == 'sampler' or name.startswith('__'):
            raise AttributeError(name)
        return getattr(self.sampler, name)
