# Copyright (c) mmlogitkd contributors. All rights reserved.
"""tools/cache_teacher_logits.py: the training run's batches, resumable
after an interruption, ranks writing disjoint rows that together make the
same cache as one process."""
import json

import numpy as np
import pytest

from mmlogitkd.distillers import TeacherLogitCache
from mmlogitkd.distillers.teacher_cache import (
    epoch_units,
    load_progress,
    rank_units,
)


def _arrays(out):
    cache = TeacherLogitCache(str(out))
    return np.array(cache.logits), np.array(cache.cells)


def test_units_are_training_batches_split_disjointly_by_rank():
    order = np.random.RandomState(0).permutation(30)
    units = epoch_units(order, 8)
    assert [len(u) for u in units] == [8, 8, 8, 6]
    assert np.array_equal(np.concatenate(units), order)  # in order, once
    for world in (1, 2, 3, 5):
        mine = [set(rank_units(len(units), r, world)) for r in range(world)]
        assert set().union(*mine) == set(range(len(units)))
        assert sum(len(m) for m in mine) == len(units)  # disjoint
    with pytest.raises(ValueError, match='rank 2'):
        rank_units(4, 2, 2)


def test_resume_after_interruption_gives_the_same_cache(
        tmp_path, make_config, cache_logits, sdd_cache, capsys):
    config, out = make_config('sdd'), tmp_path / 'resumed'
    args = ('--epochs', '2', '--dtype', 'fp32', '--flush-every', '0')
    assert cache_logits(config, out, *args, '--stop-after', '3') == 3
    with pytest.raises(ValueError, match='incomplete'):
        TeacherLogitCache(str(out))
    done, _ = load_progress(str(out), (2, 4))
    assert done.sum() == 3
    capsys.readouterr()
    assert cache_logits(config, out, *args) == 0
    assert '5 of its 8 batches to do' in capsys.readouterr().out
    for got, expected in zip(_arrays(out), _arrays(sdd_cache)):
        assert np.array_equal(got, expected)
    # a complete cache is left alone; another recipe in it is refused
    assert cache_logits(config, out, *args) == 0
    assert 'already complete' in capsys.readouterr().out
    assert cache_logits(config, out, '--epochs', '3', '--dtype', 'fp32') == 2
    err = capsys.readouterr().err
    assert 'epochs differs, cache 2 vs now 3' in err


def test_two_ranks_write_disjoint_rows(tmp_path, make_config, cache_logits,
                                       sdd_cache):
    config, out = make_config('sdd'), tmp_path / 'ranks'
    args = ('--epochs', '2', '--dtype', 'fp32', '--world-size', '2')
    assert cache_logits(config, out, *args, '--rank', '0') == 0
    meta = json.loads((out / 'meta.json').read_text())
    assert not meta['complete']
    # rank 0 wrote exactly its batches: every other row is still empty
    logits = np.load(out / 'logits.npy')
    reference = np.array(TeacherLogitCache(str(sdd_cache)).logits)
    written = np.abs(logits).sum(-1) > 0
    done, _ = load_progress(str(out), (2, 4))
    assert done.sum() == 4 and done.reshape(-1)[0::2].all()
    assert np.array_equal(logits[written], reference[written])
    assert written.sum() == sum(
        len(u) for e in range(2) for i, u in enumerate(
            epoch_units(_order(config, e), 8)) if (e * 4 + i) % 2 == 0)
    assert cache_logits(config, out, *args, '--rank', '1') == 0
    for got, expected in zip(_arrays(out), _arrays(sdd_cache)):
        assert np.array_equal(got, expected)


def _order(config, epoch):
    """The sample order of a single-process training run's epoch."""
    from mmengine.config import Config
    from mmengine.dataset import DefaultSampler

    from mmlogitkd.registry import DATASETS
    cfg = Config.fromfile(config)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    sampler = DefaultSampler(dataset, shuffle=True, seed=0)
    sampler.set_epoch(epoch)
    return np.array(list(sampler))
