# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Training from an fp32 teacher cache is the teacher-in-the-loop run, bit
for bit (CPU): KD over a cache shorter than the run (epoch e replays epoch
e mod E), SDD with cached cell logits, DIST, TTM, WTTM, WSLD and SKD; fp16 stays within fp16 rounding."""
import json

import numpy as np
import pytest
import torch

from mmlogitkd.distillers import TeacherLogitCache


def _differ(a, b):
    assert a and a.keys() == b.keys()
    return [k for k in a if not torch.equal(a[k], b[k])]


@pytest.mark.e2e
def test_kd_from_cache_is_bit_identical_beyond_the_cached_epochs(
        tmp_path, make_config, train, sdd_cache):
    """3 epochs from a 2-epoch cache (made by the SDD config: its cells are
    simply not read by KD) against the teacher in the loop with the same
    augmentation cycle."""
    online = train(make_config('kd', epochs=3), tmp_path / 'online',
                   'augment_cycle=2', epochs=3)
    cached = train(make_config('kd', epochs=3), tmp_path / 'cached',
                   f'model.teacher_cache={sdd_cache}', epochs=3)
    assert not _differ(online, cached)


@pytest.mark.e2e
def test_sdd_from_cache_is_bit_identical(tmp_path, make_config, train,
                                         sdd_cache):
    online = train(make_config('sdd', epochs=2), tmp_path / 'online',
                   epochs=2)
    cached = train(make_config('sdd', epochs=2), tmp_path / 'cached',
                   f'model.teacher_cache={sdd_cache}', epochs=2)
    assert not _differ(online, cached)


@pytest.mark.e2e
@pytest.mark.parametrize('method', ['dist', 'ttm', 'wttm', 'wsld', 'skd'])
def test_newer_losses_from_cache_are_bit_identical(tmp_path, make_config,
                                                   train, sdd_cache, method):
    """DIST, TTM, WTTM, WSLD and SKD (their quick-start configs: DIST and
    SKD are batch-level losses, WSLD and SKD read the targets) train from
    the cache exactly as with the teacher in the loop."""
    # two files of the same config: runs started within the same second
    # would share mmengine's logger and visualizer instances by name
    online = train(make_config(method, epochs=2), tmp_path / 'online',
                   epochs=2)
    cached = train(make_config(method, epochs=2), tmp_path / 'cached',
                   f'model.teacher_cache={sdd_cache}', epochs=2)
    assert not _differ(online, cached)


def test_cached_distiller_builds_no_teacher(make_config, sdd_cache,
                                            teacher_ckpts):
    from mmengine.config import Config

    from mmlogitkd.registry import MODELS
    cfg = Config.fromfile(make_config('sdd'))
    cfg.model.teacher_cache = str(sdd_cache)
    model = MODELS.build(cfg.model)
    assert model.teacher is None
    assert not any(k.startswith('teacher') for k in model.state_dict())
    assert not any(n.startswith('teacher') for n, _ in
                   model.named_parameters())
    # the checksum of teacher_ckpt, as an online distiller computes it
    cfg.model.pop('teacher_cache')
    online = MODELS.build(cfg.model)
    assert model.teacher_sha256() == online.teacher_sha256()
    # checkpoints move between the modes (--resume, load_from): without
    # the teacher (the default) or with it (save_teacher=True)
    model.load_state_dict(online.state_dict())
    online.save_teacher = True
    model.load_state_dict(online.state_dict())
    online.load_state_dict(model.state_dict())
    # a checkpoint of another teacher is still refused
    from mmlogitkd.distillers import TeacherMismatchError
    cfg.model.teacher_ckpt = teacher_ckpts[1]
    with pytest.raises(TeacherMismatchError, match='checksum|sha256'):
        model.load_state_dict(MODELS.build(cfg.model).state_dict())


def test_cache_rows_are_the_teachers_logits(sdd_cache, make_config):
    """Row (e, i) is the teacher's output on sample i with epoch e's
    augmentation; view 0 of the cells is the global pool."""
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate

    from mmlogitkd.datasets import SeededDataset
    from mmlogitkd.registry import DATASETS, MODELS
    cache = TeacherLogitCache(str(sdd_cache))
    assert cache.logits.shape == (2, 30, 10)
    assert cache.cells.shape == (2, 30, 10, 5)
    cfg = Config.fromfile(make_config('sdd'))
    model = MODELS.build(cfg.model).eval()
    dataset = SeededDataset(
        DATASETS.build(cfg.train_dataloader.dataset), seed=0)
    batch = pseudo_collate([dataset[(1, i)] for i in (3, 17, 29)])
    data = model.data_preprocessor(batch, True)
    with torch.no_grad():
        logits, cells = model._logits(model.teacher, data['inputs'])
    got, got_cells = cache.lookup(batch['data_samples'], torch.device('cpu'),
                                  views=True)
    torch.testing.assert_close(got, logits, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(got_cells, cells, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(got_cells[..., 0], got, rtol=1e-5, atol=1e-5)


def test_fp16_cache_is_within_fp16_rounding(tmp_path, make_config,
                                            cache_logits, sdd_cache):
    out = tmp_path / 'fp16'
    assert cache_logits(make_config('sdd'), out, '--epochs', '2') == 0
    meta = json.loads((out / 'meta.json').read_text())
    assert meta['dtype'] == 'float16' and meta['complete']
    ref, half = TeacherLogitCache(str(sdd_cache)), TeacherLogitCache(str(out))
    for name in ('logits', 'cells'):
        exact = np.asarray(getattr(ref, name), dtype=np.float64)
        approx = np.asarray(getattr(half, name), dtype=np.float64)
        assert np.abs(exact).max() > 0.1  # real logits, not zeros
        error = np.abs(approx - exact)
        # round to nearest: half a unit in the last place, 2^-11 relative
        # in fp16's normal range, 2^-25 absolute below it
        bound = np.maximum(np.abs(exact) * 2.**-11, 2.**-25)
        assert (error <= bound).all(), float((error / bound).max())
        # what the tool reports is the largest relative error
        rel = (error / np.abs(exact))[np.abs(exact) >= 2.**-14].max()
        if name == 'logits':
            rel_logits = rel
    assert meta['fp16_max_rel_error'] <= 2.**-11
    assert meta['fp16_max_rel_error'] >= rel_logits - 1e-12
    # the lookup returns float32
    samples = [_Sample(1, i) for i in range(4)]
    logits, _ = half.lookup(samples, torch.device('cpu'))
    assert logits.dtype == torch.float32 and logits.shape == (4, 10)


class _Sample:

    def __init__(self, epoch, index):
        self.seeded_epoch, self.seeded_index = epoch, index
