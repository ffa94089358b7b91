# Copyright (c) mmlogitkd contributors. All rights reserved.
from collections import Counter

import numpy as np
import pytest

import mmlogitkd.datasets.reid_sampler as reid_sampler
from mmlogitkd.datasets import Market1501Dataset, RandomIdentitySampler
from mmlogitkd.registry import DATA_SAMPLERS


class Identities:
    """A dataset of data infos only: ``counts[i]`` samples of pid ``i``."""

    def __init__(self, counts):
        self.pids = [pid for pid, n in enumerate(counts) for _ in range(n)]

    def __len__(self):
        return len(self.pids)

    def get_data_info(self, index):
        return dict(pid=self.pids[index])


COUNTS = [7, 4, 9, 2, 5, 6, 4, 12, 3, 8, 1, 6]


def batches(sampler, batch_size):
    idx = list(sampler)
    assert len(idx) == len(sampler) and len(idx) % batch_size == 0
    return [idx[i:i + batch_size] for i in range(0, len(idx), batch_size)]


def test_p_identities_times_k_instances():
    ds = Identities(COUNTS)
    sampler = RandomIdentitySampler(ds, batch_size=8, num_instances=2, seed=3)
    seen = []
    for batch in batches(sampler, 8):
        pids = Counter(ds.pids[i] for i in batch)
        assert len(pids) == 4 and set(pids.values()) == {2}
        seen += batch
    # a sample appears at most once, except where an identity has fewer
    # than K samples and is drawn with replacement (pid 10: one sample)
    repeated = [i for i, n in Counter(seen).items() if n > 1]
    assert all(ds.pids[i] == 10 for i in repeated)
    # every identity with >= 2 groups is used more than once
    assert Counter(ds.pids[i] for i in seen)[7] >= 4


def test_deterministic_given_seed_and_epoch():
    ds = Identities(COUNTS)
    a = RandomIdentitySampler(ds, batch_size=8, num_instances=4, seed=5)
    b = RandomIdentitySampler(ds, batch_size=8, num_instances=4, seed=5)
    assert list(a) == list(b)
    first = list(a)
    np.random.seed(123)  # the global RNGs do not matter
    assert list(a) == first
    a.set_epoch(1)
    assert list(a) != first
    b.set_epoch(1)
    assert list(a) == list(b)
    c = RandomIdentitySampler(ds, batch_size=8, num_instances=4, seed=6)
    assert list(c) != first


def test_distributed_ranks_split_each_step(monkeypatch):
    ds = Identities(COUNTS)
    per_rank = []
    for rank in range(2):
        monkeypatch.setattr(reid_sampler, 'get_dist_info',
                            lambda rank=rank: (rank, 2))
        per_rank.append(
            RandomIdentitySampler(
                ds, batch_size=4, num_instances=2, seed=0))
    b0, b1 = (batches(s, 4) for s in per_rank)
    assert len(b0) == len(b1) > 0
    for x, y in zip(b0, b1):
        px = {ds.pids[i] for i in x}
        py = {ds.pids[i] for i in y}
        # each rank: P=2 identities x K=2; one step: 4 distinct identities
        assert len(px) == len(py) == 2 and not px & py
    # the union is the single-process order with twice the batch
    monkeypatch.setattr(reid_sampler, 'get_dist_info', lambda: (0, 1))
    single = batches(
        RandomIdentitySampler(ds, batch_size=8, num_instances=2, seed=0), 8)
    assert [x + y for x, y in zip(b0, b1)] == single


def test_config_and_errors(market_root):
    ds = Market1501Dataset(market_root, split='train')
    sampler = DATA_SAMPLERS.build(
        dict(type='RandomIdentitySampler', batch_size=4, num_instances=2),
        default_args=dict(dataset=ds, seed=0))
    labels = [ds.get_data_info(i)['gt_label'] for i in sampler]
    assert len(labels) == len(sampler) > 0
    with pytest.raises(TypeError, match='batch_size'):
        RandomIdentitySampler(ds, num_instances=4)
    with pytest.raises(ValueError, match='multiple'):
        RandomIdentitySampler(ds, batch_size=6, num_instances=4)
    with pytest.raises(ValueError, match='identities cannot fill'):
        RandomIdentitySampler(ds, batch_size=64, num_instances=4)
