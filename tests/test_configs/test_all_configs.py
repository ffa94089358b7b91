# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Every config under configs/ loads, names types that exist, and builds its
model (no checkpoint is read: teacher_ckpt is checked, then set to None).

Students and teachers live in model files (``model = dict(...)`` only,
under ``configs/_base_/students``, ``configs/_base_/teachers`` and
``configs/quickstart/models``) that a distillation config names with
``cfg_path``; a resolved config carries them only inside ``model``.

A teacher-student pair is written once:
``configs/_base_/pairs/models/<pair>.py`` holds the distiller, its two model
files and ``teacher_ckpt``; ``configs/_base_/pairs/<pair>.py`` adds the data,
schedule and runtime the pair is usually trained with. A method's config
inherits one of them and names no student model file itself."""
import ast
import copy
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmlogitkd.apis import register_all_modules
from mmlogitkd.distillers import resolve_cfg_path, resolve_host_cfg
from mmlogitkd.registry import (
    DATASETS,
    METRICS,
    MODELS,
    OPTIM_WRAPPER_CONSTRUCTORS,
    TRANSFORMS,
)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_ROOT = osp.join(ROOT, 'configs')


def _runnable(path):
    """Not a ``_base_`` file, not ``_*.py``, not a model file
    (``<...>/models/*.py``)."""
    folders = osp.relpath(path, CONFIG_ROOT).split(osp.sep)[:-1]
    return ('_base_' not in folders and 'models' not in folders
            and not osp.basename(path).startswith('_'))


CONFIGS = sorted(
    p for p in glob.glob(osp.join(CONFIG_ROOT, '**', '*.py'), recursive=True)
    if _runnable(p))
# the classification model files that distillation configs name by cfg_path
MODEL_FILES = sorted(
    glob.glob(osp.join(CONFIG_ROOT, '_base_', 'students', '*.py')) +
    glob.glob(osp.join(CONFIG_ROOT, '_base_', 'teachers', '*.py')) +
    glob.glob(osp.join(CONFIG_ROOT, 'quickstart', 'models', '*.py')))
PAIR_ROOT = osp.join(CONFIG_ROOT, '_base_', 'pairs')
PAIR_MODELS = sorted(glob.glob(osp.join(PAIR_ROOT, 'models', '*.py')))
PAIRS = sorted(glob.glob(osp.join(PAIR_ROOT, '*.py')))
PROJECT_CONFIGS = sorted(
    glob.glob(osp.join(ROOT, 'projects', '*', 'configs', '*.py')))
# top-level keys of the old convention: set there by --cfg-options, they
# changed nothing
STRAY_KEYS = ('student', 'teacher', 'teacher_ckpt', 'student_model',
              'teacher_model')

register_all_modules()


def _ids(paths):
    return [osp.relpath(p, ROOT) for p in paths]


def _bases(path):
    """Every file of this repository that ``path`` inherits, nearest first
    (read from the ``_base_`` assignments; a host library's bases, ``mmdet::``
    and the like, are not followed)."""
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if (isinstance(node, ast.Assign)
                and getattr(node.targets[0], 'id', None) == '_base_'):
            bases = ast.literal_eval(node.value)
            for base in [bases] if isinstance(bases, str) else bases:
                if '::' not in base:
                    base = osp.normpath(osp.join(osp.dirname(path), base))
                    yield base
                    yield from _bases(base)


def _strings(path):
    """The string constants of a config file (its comments left out)."""
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read())
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def _types(obj):
    """Every ``type`` string inside a (nested) config value."""
    if isinstance(obj, dict):
        if isinstance(obj.get('type'), str):
            yield obj['type']
        for v in obj.values():
            yield from _types(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _types(v)


def _is_distiller(model_cfg):
    return str(model_cfg.get('type', '')).endswith('Distiller')


def _check_distiller_cfg(cfg):
    """Checks of a distillation config that need no model build."""
    assert not [k for k in STRAY_KEYS if k in cfg], (
        'stray top-level keys: put them in `model`')
    model_cfg = cfg.model
    ckpt = model_cfg.get('teacher_ckpt')
    assert isinstance(ckpt, str) and ckpt, 'model.teacher_ckpt'
    for role in ('student', 'teacher'):
        role_cfg = model_cfg[role]
        cfg_path = role_cfg.get('cfg_path')
        if isinstance(cfg_path, str) and cfg_path.startswith('mmlogitkd::'):
            path, _ = resolve_cfg_path(cfg_path, role)
            assert osp.isfile(path)
            assert osp.realpath(path).startswith(
                osp.realpath(CONFIG_ROOT) + osp.sep), path
        resolved = resolve_host_cfg(role_cfg, role)
        assert 'cfg_path' not in resolved
        assert isinstance(resolved.get('type'), str), f'{role}.type'
    # what --cfg-options model.teacher_ckpt=... does
    other = copy.deepcopy(cfg)
    other.merge_from_dict({'model.teacher_ckpt': 'x.pth'})
    assert other.model.teacher_ckpt == 'x.pth'
    assert cfg.model.teacher_ckpt == ckpt
    assert 'teacher_ckpt' not in other


def test_there_are_configs_for_every_method():
    methods = {osp.relpath(p, CONFIG_ROOT).split(osp.sep)[0]
               for p in CONFIGS}
    assert {'kd', 'dkd', 'nkd', 'ldrld', 'sdd', 'ls', 'rank',
            'quickstart'} <= methods
    # model files are loaded by cfg_path, not run
    assert not [p for p in CONFIGS if osp.sep + 'models' + osp.sep in p]
    assert osp.join(CONFIG_ROOT, 'quickstart', 'models',
                    'student.py') in MODEL_FILES


@pytest.mark.parametrize('path', MODEL_FILES, ids=_ids(MODEL_FILES))
def test_model_file(path):
    """A model file defines ``model`` and nothing else; ``cfg_path`` finds
    it and resolves it to a model config of its host library."""
    cfg = Config.fromfile(path)
    assert list(cfg.keys()) == ['model'], sorted(cfg.keys())
    assert cfg.model.type == 'mmpretrain.ImageClassifier'
    cfg_path = 'mmlogitkd::' + osp.relpath(path, CONFIG_ROOT).replace(
        osp.sep, '/')
    assert resolve_cfg_path(cfg_path)[0] == path
    resolved = resolve_host_cfg(dict(cfg_path=cfg_path), 'student')
    assert resolved.type == 'ImageClassifier'
    assert resolved['_scope_'] == 'mmpretrain'
    assert resolved.head.num_classes == cfg.model.head.num_classes


@pytest.mark.parametrize('path', PAIR_MODELS, ids=_ids(PAIR_MODELS))
def test_pair_models_file(path):
    """A pair's models file defines the distiller and nothing else: both
    models by ``cfg_path`` and the teacher's weights."""
    cfg = Config.fromfile(path)
    assert list(cfg.keys()) == ['model'], sorted(cfg.keys())
    assert _is_distiller(cfg.model)
    assert cfg.model.student.get('cfg_path')
    assert cfg.model.teacher.get('cfg_path')
    assert isinstance(cfg.model.get('teacher_ckpt'), str)
    assert 'distill_losses' not in cfg.model, 'losses are the method\'s'


@pytest.mark.parametrize('path', PAIRS, ids=_ids(PAIRS))
def test_pair_file(path):
    """``pairs/<pair>.py`` is ``pairs/models/<pair>.py`` with a recipe."""
    models = osp.join(PAIR_ROOT, 'models', osp.basename(path))
    assert models in set(_bases(path))
    cfg = Config.fromfile(path)
    assert cfg.model == Config.fromfile(models).model
    for key in ('train_dataloader', 'val_dataloader', 'optim_wrapper',
                'param_scheduler', 'train_cfg', 'default_scope'):
        assert key in cfg, key


def test_method_configs_inherit_their_pair():
    """Every distillation config of a method inherits a pair (no student
    model file named in it), and every pair file is inherited."""
    used = set()
    for path in CONFIGS:
        rel = osp.relpath(path, CONFIG_ROOT)
        if rel.split(osp.sep)[0] in ('quickstart', 'quickstart_det',
                                      'quickstart_reid', 'reid', 'det'):
            continue
        bases = set(_bases(path))
        used |= bases
        assert [b for b in bases if osp.dirname(b) in (
            PAIR_ROOT, osp.join(PAIR_ROOT, 'models'))], f'{rel}: no pair'
        named = [s for s in _strings(path) if '_base_/students/' in s]
        assert not named, f'{rel} names its student {named}: inherit a pair'
    assert not set(PAIRS + PAIR_MODELS) - used, 'pair files nobody inherits'


@pytest.mark.parametrize('path', CONFIGS, ids=_ids(CONFIGS))
def test_config_builds(path):
    cfg = Config.fromfile(path)
    # mmlogitkd's, or the host library's (mmdet for its own data pipelines)
    scope = cfg.get('default_scope')
    assert scope, 'default_scope'
    if osp.relpath(path, CONFIG_ROOT).split(osp.sep)[0] == 'quickstart' or (
            cfg.model.get('type') == 'ClsLogitDistiller'):
        assert scope == 'mmlogitkd', 'default_scope'
    stray = [k for k in STRAY_KEYS if k in cfg]
    assert not stray, f'stray top-level keys {stray}: put them in `model`'

    def lookup(registry, name):
        with registry.switch_scope_and_registry(scope) as reg:
            return reg.get(name)

    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[loader]['dataset']
        assert lookup(DATASETS, dataset['type']) is not None, dataset['type']
        for transform in dataset.get('pipeline', []):
            assert lookup(TRANSFORMS, transform['type']) is not None, \
                f'{loader}: {transform["type"]}'
    for evaluator in ('val_evaluator', 'test_evaluator'):
        for metric_type in _types(cfg[evaluator]):
            assert lookup(METRICS, metric_type) is not None, metric_type

    model_cfg = cfg.model.copy()
    if _is_distiller(model_cfg):
        _check_distiller_cfg(cfg)
        assert model_cfg.get('distill_losses'), 'distill_losses'
        constructor = cfg.optim_wrapper.get('constructor')
        assert str(constructor).split('.')[-1] == (
            'DistillOptimWrapperConstructor'), (
                'distillation configs must keep the teacher out of the '
                'optimizer')
        assert lookup(OPTIM_WRAPPER_CONSTRUCTORS, constructor) is not None
        model_cfg['teacher_ckpt'] = None
    # as mmengine's Runner does: a top-level data_preprocessor (of the
    # dataset files) is the model's default
    if 'data_preprocessor' in cfg and 'data_preprocessor' not in model_cfg:
        model_cfg['data_preprocessor'] = cfg.data_preprocessor
    with MODELS.switch_scope_and_registry(scope) as registry:
        model = registry.build(model_cfg)

    if model_cfg['type'] == 'ClsLogitDistiller':
        assert not any(p.requires_grad for p in model.teacher.parameters())
        # student and teacher agree on the classes they predict
        assert (model.student.head.num_classes ==
                model.teacher.head.num_classes)
        size = 224 if 'imagenet' in path and 'tiny' not in path else (
            64 if 'tiny' in path else 32)
        if 'cub' in path:
            size = 224
        if 'quickstart' in path:
            size = 16
        num_classes = model.student.head.num_classes
        with torch.no_grad():
            out = model.student.eval()(
                torch.zeros(1, 3, size, size), mode='tensor')
        assert out.shape == (1, num_classes)


@pytest.mark.parametrize(
    'path', PROJECT_CONFIGS, ids=_ids(PROJECT_CONFIGS))
def test_project_config_has_no_stray_keys(path):
    cfg = Config.fromfile(path)
    assert _is_distiller(cfg.model)
    _check_distiller_cfg(cfg)
