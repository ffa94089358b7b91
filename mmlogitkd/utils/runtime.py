# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Checks and defaults applied to a config before the Runner is built."""
import inspect
import os.path as osp
from typing import Optional

import torch
import torch.distributed as dist
from mmengine.config import Config

_DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _iter_datasets(dataset_cfg, key):
    """Yield ``(key, cfg)`` for a dataset and the ones it wraps."""
    if not isinstance(dataset_cfg, dict):
        return
    yield key, dataset_cfg
    if 'dataset' in dataset_cfg:
        yield from _iter_datasets(dataset_cfg['dataset'], f'{key}.dataset')
    for i, sub in enumerate(dataset_cfg.get('datasets', []) or []):
        yield from _iter_datasets(sub, f'{key}.datasets[{i}]')


def _default_download(dataset_type) -> bool:
    """The ``download`` default of a dataset class, False if it has none."""
    from mmlogitkd.registry import DATASETS
    cls = DATASETS.get(dataset_type) if isinstance(dataset_type,
                                                   str) else dataset_type
    if cls is None:
        return False
    param = inspect.signature(cls.__init__).parameters.get('download')
    return bool(param is not None and param.default is True)


def check_data_paths(cfg: Config) -> None:
    """Fail before training when a dataset's files are not where the config
    says, naming the config key and the path.

    Datasets that may fetch themselves (``download=True``, given or by the
    dataset class's default, as mmpretrain's CIFAR) are left alone. A
    distiller's ``teacher_ckpt`` (a local path) is checked too.
    """
    problems = []
    for loader in _DATALOADERS:
        loader_cfg = cfg.get(loader)
        if not isinstance(loader_cfg, dict):
            continue
        for key, ds in _iter_datasets(
                loader_cfg.get('dataset'), f'{loader}.dataset'):
            if ds.get('download', _default_download(ds.get('type'))):
                continue
            root = ds.get('data_root') or ''
            if root and not osp.exists(root):
                problems.append(f'{key}.data_root = "{root}" does not exist')
                continue
            ann = ds.get('ann_file') or ''
            ann_path = ann if osp.isabs(ann) else osp.join(root, ann)
            if ann and not osp.exists(ann_path):
                problems.append(f'{key}.ann_file: "{ann_path}" does not '
                                'exist')
    model = cfg.get('model')
    ckpt = model.get('teacher_ckpt') if isinstance(model, dict) else None
    if isinstance(ckpt, str) and not ckpt.startswith(
            ('http://', 'https://')) and not osp.isfile(osp.expanduser(ckpt)):
        problems.append(f'model.teacher_ckpt = "{ckpt}" does not exist')
    if problems:
        raise FileNotFoundError(
            'The config points at data that is not there:\n  ' +
            '\n  '.join(problems) +
            '\nPrepare the dataset and the teacher as described in the '
            'README of the config folder, or override the paths with '
            '--cfg-options.')


def check_warmup_unit(cfg: Config) -> None:
    """An ``IterBasedTrainLoop`` reports one epoch for the whole run: a
    distillation warm-up counted in epochs would never end there."""
    model = cfg.get('model')
    warmup = model.get('distill_warmup') if isinstance(model, dict) else None
    train_cfg = cfg.get('train_cfg') or {}
    by_iter = (train_cfg.get('type') == 'IterBasedTrainLoop'
               or train_cfg.get('by_epoch') is False)
    if isinstance(warmup, dict) and warmup.get('by_epoch', True) and by_iter:
        raise ValueError(
            f'model.distill_warmup={dict(warmup)} counts epochs, but '
            'train_cfg runs an iteration-based loop: set '
            'model.distill_warmup.by_epoch=False and its length in '
            'iterations.')


def _init_cpu_distributed(cfg: Config) -> None:
    """Start a gloo process group for ``torchrun`` without GPUs.

    NCCL needs GPUs, mmengine's ``init_dist`` calls
    ``torch.cuda.set_device`` and its default DDP wrapper passes a GPU
    ``device_ids``; with the group already up and CPU DDP arguments, the
    Runner trains data-parallel on CPU processes.
    """
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    cfg.env_cfg.dist_cfg['backend'] = 'gloo'
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel',
            device_ids=None,
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    if cfg.launcher == 'pytorch' and not dist.is_initialized():
        dist.init_process_group(backend='gloo', init_method='env://')


def load_runtime_cfg(config: str,
                     cfg_options: Optional[dict] = None,
                     launcher: str = 'none',
                     work_dir: Optional[str] = None) -> Config:
    """Load a config the way ``tools/train.py`` and ``tools/test.py`` do:
    command-line overrides, launcher, and a work dir defaulting to
    ``work_dirs/<config name>``."""
    cfg = Config.fromfile(config)
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    return cfg


def prepare_runtime_cfg(cfg: Config) -> Config:
    """Defaults and early checks shared by ``tools/train.py``/``test.py``.

    - distributed runs without a GPU use the gloo backend;
    - missing dataset files fail now, not after the model is built;
    - a distillation warm-up counted in epochs under an iteration loop
      fails now, not at the first step.
    """
    check_data_paths(cfg)
    check_warmup_unit(cfg)
    if cfg.get('launcher', 'none') != 'none' and not torch.cuda.is_available():
        _init_cpu_distributed(cfg)
    return cfg
