# Copyright (c) mmlogitkd contributors. All rights reserved.
from collections import defaultdict
from typing import Dict, Iterator, List, Optional, Sized, Tuple

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from mmlogitkd.registry import DATA_SAMPLERS


def _identity_of(dataset: Sized, index: int) -> int:
    """The identity of one sample, from its data info (no image read)."""
    info = dataset.get_data_info(index)  # type: ignore[attr-defined]
    return int(info['pid'] if 'pid' in info else info['gt_label'])


@DATA_SAMPLERS.register_module()
class RandomIdentitySampler(Sampler):
    """P identities x K instances per batch, torchreid's
    ``RandomIdentitySampler`` as an mmengine sampler.

    Each epoch, every identity's samples are shuffled and cut into groups of
    ``K = num_instances`` (an identity with fewer than K samples is drawn K
    times with replacement; a remainder short of K is dropped), then batches
    are made of one group from each of ``P = batch_size // K`` distinct
    identities drawn at random, until fewer than P identities have groups
    left. The order depends only on ``seed + epoch``, so it is reproducible
    and the same on every rank; unlike torchreid (Python's global
    ``random``), nothing else changes it.

    Distributed: the ``world_size`` per-rank batches of one step are drawn
    together (``world_size x P`` distinct identities) and rank ``r`` takes
    the ``r``-th batch of each step, so every rank sees ``P x K`` batches and
    all ranks the same number of them. ``len()`` is exact (the epoch's order
    is computed once and cached).

    Args:
        dataset (Sized): A dataset whose data infos carry ``pid`` (or
            ``gt_label``), e.g. :class:`Market1501Dataset`.
        batch_size (int): The per-rank batch size of the dataloader; a
            multiple of ``num_instances``. The sampler must know it to put
            distinct identities in one batch.
        num_instances (int): Samples per identity in a batch (K). Defaults
            to 4.
        seed (int, optional): Random seed, the same on every rank. Defaults
            to None: a seed synchronised across ranks.

    Example:
        >>> train_dataloader = dict(
        ...     batch_size=32,
        ...     sampler=dict(type='RandomIdentitySampler', batch_size=32,
        ...                  num_instances=4))
    """

    def __init__(self,
                 dataset: Sized,
                 batch_size: Optional[int] = None,
                 num_instances: int = 4,
                 seed: Optional[int] = None) -> None:
        if batch_size is None:
            raise TypeError(
                'RandomIdentitySampler needs batch_size (the dataloader\'s '
                'batch_size) to put P = batch_size // num_instances distinct '
                'identities in each batch, e.g. sampler=dict(type='
                '"RandomIdentitySampler", batch_size=32, num_instances=4)')
        if num_instances < 1 or batch_size % num_instances:
            raise ValueError(f'batch_size={batch_size} must be a positive '
                             f'multiple of num_instances={num_instances}')
        self.rank, self.world_size = get_dist_info()
        self.dataset = dataset
        self.batch_size = batch_size
        self.num_instances = num_instances
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0

        index_of: Dict[int, List[int]] = defaultdict(list)
        for index in range(len(dataset)):
            index_of[_identity_of(dataset, index)].append(index)
        self.pids = sorted(index_of)
        self.index_of = {pid: np.asarray(index_of[pid]) for pid in self.pids}
        self.pids_per_step = batch_size // num_instances * self.world_size
        if len(self.pids) < self.pids_per_step:
            raise ValueError(
                f'{len(self.pids)} identities cannot fill batches of '
                f'{self.pids_per_step // self.world_size} identities x '
                f'{num_instances} instances on {self.world_size} rank(s)')
        self._cache: Tuple[int, Optional[np.ndarray]] = (-1, None)

    def _epoch_indices(self) -> np.ndarray:
        """This rank's indices of the current epoch, ``[steps * batch]``."""
        if self._cache[0] == self.epoch:
            return self._cache[1]  # type: ignore[return-value]
        rng = np.random.default_rng(self.seed + self.epoch)
        k = self.num_instances
        groups: Dict[int, List[np.ndarray]] = {}
        for pid in self.pids:
            idxs = self.index_of[pid]
            if len(idxs) < k:
                idxs = rng.choice(idxs, size=k, replace=True)
            idxs = rng.permutation(idxs)
            groups[pid] = list(idxs[:len(idxs) // k * k].reshape(-1, k))

        # One step = world_size batches of P distinct identities each.
        available = list(self.pids)
        steps = []
        while len(available) >= self.pids_per_step:
            chosen = rng.choice(
                len(available), size=self.pids_per_step, replace=False)
            step = [groups[available[i]].pop(0) for i in chosen]
            steps.append(np.concatenate(step))
            available = [pid for pid in available if groups[pid]]
        if steps:
            per_step = np.stack(steps).reshape(len(steps), self.world_size,
                                               self.batch_size)
            indices = per_step[:, self.rank].reshape(-1)
        else:
            indices = np.zeros(0, dtype=np.int64)
        self._cache = (self.epoch, indices)
        return indices

    def __iter__(self) -> Iterator[int]:
        return iter(self._epoch_indices().tolist())

    def __len__(self) -> int:
        """The number of samples this rank yields in the current epoch."""
        return len(self._epoch_indices())

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch, which seeds the next order (``DistSamplerSeedHook``
        calls it)."""
        self.epoch = epoch
