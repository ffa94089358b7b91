# Copyright (c) mmlogitkd contributors. All rights reserved.
"""A config as ``tools/train.py`` and ``tools/test.py`` run it: loaded with
the command line's overrides, then checked and completed before the Runner
is built."""
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config

from mmlogitkd.datasets.image_checks import install_image_checks
from mmlogitkd.distillers.teacher_cache import check_teacher_cache_config
from mmlogitkd.utils.checkpoint_hooks import install_checkpoint_hooks
from .class_order import check_class_order
from .data_checks import check_data_paths
from .launch import init_cpu_distributed
from .registered_types import check_registered_types
from .seeded_data import add_custom_hook, apply_seeded_data

__all__ = ['load_runtime_cfg', 'prepare_runtime_cfg', 'check_warmup_unit']


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

    - mmengine's checkpoint loading is safe and its writes atomic
      (:func:`~mmlogitkd.utils.checkpoint_hooks.install_checkpoint_hooks`);
    - distributed runs without a GPU use the gloo backend;
    - an unknown ``model.type`` or dataset ``type`` fails now, naming the
      closest registered names (:func:`check_registered_types`);
    - missing, empty or malformed dataset files fail now, not after the
      model is built (:func:`check_data_paths`), every image of a COCO
      json included;
    - a COCO json whose labels would follow another order than the
      dataset's ``classes``, or a teacher checkpoint recorded with other
      classes (or another order) than the training set, fails now
      (:func:`check_class_order`);
    - an unreadable image (a zero-byte one included) fails naming its
      file, and mmpretrain's ``RandomCrop`` refuses an image smaller than
      its crop unless ``pad_if_needed=True``
      (:func:`~mmlogitkd.datasets.image_checks.install_image_checks`);
    - a distillation warm-up counted in epochs under an iteration loop
      fails now, not at the first step;
    - the training labels are checked against the model's classes before
      the first iteration (:class:`~mmlogitkd.engine.CheckLabelsHook`);
    - epoch-based classification / re-id training data is seeded per
      (seed, epoch, sample) (:func:`apply_seeded_data`): reproducible
      whatever the number of workers, and exactly resumable;
    - a ``model.teacher_cache`` is checked against the seed and the
      training pipeline, and the data replays its epochs
      (:func:`~mmlogitkd.distillers.teacher_cache.check_teacher_cache_config`).
    """
    install_checkpoint_hooks()
    check_registered_types(cfg)
    install_image_checks()
    check_data_paths(cfg)
    check_class_order(cfg)
    check_warmup_unit(cfg)
    if isinstance(cfg.get('train_dataloader'), dict):
        add_custom_hook(cfg, 'CheckLabelsHook')
    apply_seeded_data(cfg)
    check_teacher_cache_config(cfg)
    if cfg.get('launcher', 'none') != 'none' and not torch.cuda.is_available():
        init_cpu_distributed(cfg)
    return cfg
