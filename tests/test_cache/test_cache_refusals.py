# Copyright (c) mmlogitkd contributors. All rights reserved.
"""A cache that does not match the run is refused before training, naming
the field and both values; tasks without cache support say so."""
import json
import shutil

import pytest
from mmengine.config import Config

from mmlogitkd.apis import apply_seeded_data
from mmlogitkd.distillers import TeacherCacheMismatch, TeacherLogitCache
from mmlogitkd.distillers.teacher_cache import check_teacher_cache_config
from mmlogitkd.registry import MODELS


def _cfg(config, cache, **options):
    cfg = Config.fromfile(config)
    cfg.model.teacher_cache = str(cache)
    cfg.merge_from_dict(options)
    return cfg


def _copy(cache, tmp_path, **meta_changes):
    out = tmp_path / 'copy'
    shutil.copytree(cache, out)
    meta = json.loads((out / 'meta.json').read_text())
    meta.update(meta_changes)
    (out / 'meta.json').write_text(json.dumps(meta))
    return out


def _refused(fn, *words):
    with pytest.raises((TeacherCacheMismatch, ValueError)) as info:
        fn()
    message = str(info.value)
    for word in words:
        assert word in message, (word, message)
    return message


def test_other_teacher_checkpoint(make_config, sdd_cache, teacher_ckpts):
    cfg = _cfg(make_config('sdd', teacher=teacher_ckpts[1]), sdd_cache)
    recorded = TeacherLogitCache(str(sdd_cache)).teacher_sha256
    message = _refused(lambda: MODELS.build(cfg.model), 'teacher_sha256',
                       recorded)
    # and the other checkpoint's digest
    cfg.model.pop('teacher_cache')
    assert MODELS.build(cfg.model).teacher_sha256() in message


def test_class_count(make_config, sdd_cache, tmp_path):
    cache = _copy(sdd_cache, tmp_path, num_classes=100)
    cfg = _cfg(make_config('sdd'), cache)
    _refused(lambda: MODELS.build(cfg.model), 'num_classes', '100', '10')


def test_cells_missing_or_other_scales(make_config, sdd_cache, tmp_path):
    cfg = _cfg(make_config('sdd'), sdd_cache, model=dict(sdd_scales=(1, 2,
                                                                     4)))
    _refused(lambda: MODELS.build(cfg.model), 'sdd_scales', '[1, 2]',
             '[1, 2, 4]')
    no_cells = _copy(sdd_cache, tmp_path, cells=None, sdd_scales=None,
                     cells_shape=None)
    cfg = _cfg(make_config('sdd'), no_cells)
    _refused(lambda: MODELS.build(cfg.model), 'sdd_scales', 'None',
             '[1, 2]')


def test_teacher_preprocessing(make_config, sdd_cache):
    cfg = _cfg(
        make_config('sdd'),
        sdd_cache,
        model=dict(teacher=dict(data_preprocessor=dict(mean=[0., 0., 0.]))))
    _refused(lambda: MODELS.build(cfg.model), 'teacher_data_preprocessor',
             '77.9', '0.0')


def _prepared(cfg):
    apply_seeded_data(cfg)
    check_teacher_cache_config(cfg)
    return cfg


def test_seed_pipeline_and_seeding(make_config, sdd_cache):
    config = make_config('kd')
    _refused(lambda: _prepared(
        _cfg(config, sdd_cache, randomness=dict(seed=1))), 'seed',
             'cache 0', '1')
    flip = [
        dict(type='mmpretrain.RandomCrop', crop_size=16, padding=2),
        dict(type='mmpretrain.RandomFlip', prob=0.5),
        dict(type='mmpretrain.PackInputs')
    ]
    message = _refused(lambda: _prepared(
        _cfg(config, sdd_cache, train_dataloader=dict(
            dataset=dict(pipeline=flip)))), 'pipeline', 'RandomCrop')
    assert message.count('RandomFlip') == 1  # only in this run's value
    _refused(lambda: _prepared(
        _cfg(config, sdd_cache, seeded_data=False)), 'seeded data')
    _refused(lambda: _prepared(
        _cfg(config, sdd_cache, augment_cycle=3)), 'epochs', 'cache 2', '3')
    cfg = _prepared(_cfg(config, sdd_cache))
    assert cfg.train_dataloader.dataset.cycle == 2
    assert cfg.custom_hooks[-1].type == 'mmlogitkd.TeacherCacheHook'


def test_dataset_length_before_training(tmp_path, make_config, sdd_cache,
                                        train):
    config = make_config(
        'kd', extra="train_dataloader = dict(dataset=dict("
        "train_per_class=4))")
    _refused(
        lambda: train(config, tmp_path / 'run',
                      f'model.teacher_cache={sdd_cache}', epochs=1),
        'dataset_length', 'cache 30', '40')
    assert not list((tmp_path / 'run').glob('*.pth'))


def test_incomplete_cache(make_config, sdd_cache, tmp_path):
    cache = _copy(sdd_cache, tmp_path, complete=False)
    cfg = _cfg(make_config('kd'), cache)
    _refused(lambda: MODELS.build(cfg.model), 'incomplete', 'again')


def test_detection_refuses_a_cache(sdd_cache):
    # re-id reads its cache as classification does
    # (tests/test_quickstart/test_reid_quickstart.py)
    for name in ('DetLogitDistiller', ):
        _refused(
            lambda: MODELS.build(
                dict(
                    type=name,
                    student=dict(type='unused'),
                    teacher=dict(type='unused'),
                    distill_losses=dict(kd=dict(type='KDLoss')),
                    teacher_cache=str(sdd_cache))), name,
            'classification', 'Remove model.teacher_cache')


def test_cached_source_refuses_adapters_needing_the_teacher_model(
        make_config, sdd_cache):
    """The detection adapter runs the teacher's RoI extractor and box head
    on the student's RoIs: a cached teacher has no model to give."""
    model = MODELS.build(_cfg(make_config('sdd'), sdd_cache).model)
    _refused(
        lambda: model.teacher_source.require_model('DetLogitDistiller'),
        'DetLogitDistiller', 'teacher model', 'Remove model.teacher_cache')
