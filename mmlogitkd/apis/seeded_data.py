# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Reproducible data order: the training data as a pure function of (seed,
epoch, sample index)."""
from typing import Optional

from mmengine.config import Config

__all__ = ['apply_seeded_data', 'add_custom_hook']

#: samplers whose indices a :class:`SeededSampler` may carry
_SEEDABLE_SAMPLERS = ('DefaultSampler', 'RandomIdentitySampler')


def _short_type(type_name) -> Optional[str]:
    return type_name.rsplit('.', 1)[-1] if isinstance(type_name,
                                                      str) else None


def apply_seeded_data(cfg: Config) -> bool:
    """Make the training data a pure function of (seed, epoch, sample
    index), so that a run is reproducible whatever its number of data
    workers and ``--resume`` continues it exactly.

    Wraps ``train_dataloader.dataset`` in
    :class:`~mmlogitkd.datasets.SeededDataset` (every sample's pipeline runs
    under RNGs seeded from (seed, epoch, index)), its sampler in
    :class:`~mmlogitkd.datasets.SeededSampler` (which hands the epoch to the
    dataset with every index, so persistent workers see it too), and adds
    :class:`~mmlogitkd.engine.SeededDataHook` (the runner's seed, the
    epoch, and the main process's RNGs reseeded at each epoch start).

    Applied to epoch-based training with a plain index sampler
    (``DefaultSampler``, ``RandomIdentitySampler``) and no batch sampler:
    the classification and re-id configs. Iteration-based loops (an
    ``InfiniteSampler`` has no epochs) and batch samplers (mmdet's
    ``AspectRatioBatchSampler``) are left as they are. ``seeded_data=False``
    at the top level of a config turns it off; ``augment_cycle=E`` replays
    the augmentation of epoch ``e mod E`` (what a teacher cache of E epochs
    does, set from the cache).

    Returns:
        bool: Whether the config was changed.
    """
    if not cfg.get('seeded_data', True):
        return False
    loader = cfg.get('train_dataloader')
    if not isinstance(loader, dict):
        return False
    dataset, sampler = loader.get('dataset'), loader.get('sampler')
    train_cfg = cfg.get('train_cfg') or {}
    loop = _short_type(train_cfg.get('type'))
    epoch_based = (loop == 'EpochBasedTrainLoop' or loop is None
                   and train_cfg.get('by_epoch', True) is not False)
    if not (epoch_based and isinstance(dataset, dict)
            and isinstance(sampler, dict) and not loader.get('batch_sampler')
            and _short_type(sampler.get('type')) in _SEEDABLE_SAMPLERS
            and _short_type(dataset.get('type')) != 'SeededDataset'):
        return False
    seed = (cfg.get('randomness') or {}).get('seed')
    loader['dataset'] = dict(
        type='mmlogitkd.SeededDataset', dataset=dataset, seed=seed)
    if cfg.get('augment_cycle'):  # epoch e replays epoch e % augment_cycle
        loader['dataset']['cycle'] = cfg.augment_cycle
    loader['sampler'] = dict(type='mmlogitkd.SeededSampler', sampler=sampler)
    add_custom_hook(cfg, 'SeededDataHook')
    return True


def add_custom_hook(cfg: Config, name: str, **kwargs) -> None:
    """Append ``mmlogitkd.<name>`` to ``custom_hooks`` unless it is there."""
    hooks = list(cfg.get('custom_hooks') or [])
    if any(_short_type(h.get('type')) == name for h in hooks
           if isinstance(h, dict)):
        return
    hooks.append(dict(type=f'mmlogitkd.{name}', **kwargs))
    cfg.custom_hooks = hooks
