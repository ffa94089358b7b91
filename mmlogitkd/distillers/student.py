# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The student on its own: its config and its weights, from a distiller
config and either kind of checkpoint, for evaluation and export."""
import copy
import os.path as osp
from collections import OrderedDict
from typing import Optional

import torch.nn as nn
from mmengine.config import Config, ConfigDict

from mmlogitkd.models.converters import extract_state_dict, student_state_dict
from mmlogitkd.registry import MODELS
from mmlogitkd.utils.checkpoint import load_checkpoint_file
from .base_distiller import BaseLogitDistiller
from .checkpoint_loading import load_state_dict_strictly
from .host_models import resolve_host_cfg


def distiller_class(model_cfg: dict) -> Optional[type]:
    """The :class:`BaseLogitDistiller` subclass a model config names, or
    None for any other model."""
    model_type = model_cfg.get('type') if isinstance(model_cfg,
                                                     dict) else None
    if isinstance(model_type, str):
        model_type = model_type.split('.', 1)[-1] if model_type.startswith(
            'mmlogitkd.') else model_type
        model_type = MODELS.get(model_type) if '.' not in model_type else None
    if isinstance(model_type, type) and issubclass(model_type,
                                                   BaseLogitDistiller):
        return model_type
    return None


def student_config(cfg: Config) -> Optional[ConfigDict]:
    """The complete host-library config of the student of a distillation
    config (``cfg_path`` loaded, scope set, the distiller's preprocessor
    filled in where the student has none), or None when ``cfg.model`` is not
    a distiller."""
    cls = distiller_class(cfg.model)
    if cls is None:
        return None
    preprocessor = cfg.model.get('data_preprocessor',
                                 cfg.get('data_preprocessor'))
    if isinstance(preprocessor, dict) and cls.default_preprocessor:
        preprocessor = dict(preprocessor)
        preprocessor.setdefault('type', cls.default_preprocessor)
    return resolve_host_cfg(cfg.model['student'], 'student', cls.host_scope,
                            preprocessor)


def student_weights(path: str,
                    allow_unsafe: bool = False,
                    opt_in: Optional[str] = None) -> 'OrderedDict':
    """The student's state dict from a distillation checkpoint (its
    ``student.*`` entries, unprefixed) or from a plain student checkpoint
    (everything), read by :func:`mmlogitkd.utils.checkpoint.
    load_checkpoint_file`: safely unless ``allow_unsafe`` (a file the
    caller trusts); ``opt_in`` says how to opt in, for the refusal."""
    if not osp.isfile(path) and not path.startswith(('http://', 'https://')):
        raise FileNotFoundError(f'checkpoint "{path}" does not exist')
    checkpoint = load_checkpoint_file(
        path, allow_unsafe=allow_unsafe, what='checkpoint', opt_in=opt_in)
    state_dict = extract_state_dict(checkpoint)
    if any(k.startswith('student.') for k in state_dict):
        return student_state_dict(state_dict, source=path)
    return state_dict


def load_student_state(student: nn.Module, state_dict: dict,
                       path: str) -> None:
    """Load :func:`student_weights` into the student, strictly; weights
    that fit neither layout fail naming the keys."""
    load_state_dict_strictly(
        student, state_dict, f'checkpoint "{path}"',
        'the student (neither a distillation checkpoint with "student." '
        'keys nor a plain checkpoint of the student fits)')


def load_student_weights(student: nn.Module,
                         path: str,
                         allow_unsafe: bool = False,
                         opt_in: Optional[str] = None) -> None:
    """Load a distillation or a plain student checkpoint into the student,
    strictly; a checkpoint that fits neither fails naming the keys."""
    load_student_state(student, student_weights(path, allow_unsafe, opt_in),
                       path)


def student_runtime_config(cfg: Config) -> Config:
    """The whole config with the student as its model: what the host
    library's own tools (mmdet's ``tools/test.py``, ``init_detector``) load
    together with the exported student checkpoint."""
    model = student_config(cfg)
    if model is None:
        raise ValueError('the config does not describe a distiller '
                         f'(model.type={cfg.model.get("type")!r})')
    out = copy.deepcopy(cfg)
    out.model = model
    optim_wrapper = out.get('optim_wrapper')
    if isinstance(optim_wrapper, dict) and optim_wrapper.get(
            'constructor') in ('DistillOptimWrapperConstructor',
                              'mmlogitkd.DistillOptimWrapperConstructor'):
        optim_wrapper.pop('constructor')  # ours; the default fits a student
    return out
