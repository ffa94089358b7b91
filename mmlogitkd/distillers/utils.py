# Copyright (c) mmlogitkd contributors. All rights reserved.
import copy
import os.path as osp

import torch.nn as nn
from mmengine.config import ConfigDict
from mmengine.runner.checkpoint import _load_checkpoint, load_state_dict

from mmlogitkd.models.converters import ConversionError, extract_state_dict
from mmlogitkd.registry import MODELS


def build_host_model(cfg: dict, role: str) -> nn.Module:
    """Build a student/teacher named in its host library's scope.

    ``type='mmpretrain.ImageClassifier'`` is built with
    ``_scope_='mmpretrain'``, so that the model's own sub-modules (backbone,
    neck, head, losses) resolve in mmpretrain's registry, as they would in an
    mmpretrain config. Our modules are reachable from there with the
    ``mmlogitkd.`` prefix (e.g. ``mmlogitkd.CifarResNet``).

    Args:
        cfg (dict | nn.Module): The model config (or an already built model).
        role (str): ``'student'`` or ``'teacher'``, for error messages.
    """
    if isinstance(cfg, nn.Module):
        return cfg
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise TypeError(f'The {role} must be a config dict with a "type", '
                        f'got {cfg!r}')
    cfg = ConfigDict(copy.deepcopy(cfg))
    model_type = cfg['type']
    if isinstance(model_type, str) and '.' in model_type:
        scope, name = model_type.split('.', 1)
        cfg.setdefault('_scope_', scope)
        cfg['type'] = name
    # Our backbones must be registered before a host scope asks for them.
    import mmlogitkd.models  # noqa: F401
    return MODELS.build(cfg)


def load_teacher_checkpoint(teacher: nn.Module, path: str) -> None:
    """Load the teacher weights strictly, failing with the path and keys.

    Accepts mmengine/OpenMMLab checkpoints (``state_dict`` inside), plain
    state dicts and the other layouts of
    :func:`~mmlogitkd.models.converters.extract_state_dict`; a ``module.``
    prefix from DDP is stripped.
    """
    is_url = path.startswith(('http://', 'https://'))
    if not is_url and not osp.isfile(osp.expanduser(path)):
        raise FileNotFoundError(
            f'teacher_ckpt "{path}" does not exist. Train or download the '
            'teacher first (see the README of the config folder), or set '
            'model.teacher_ckpt to its path.')
    checkpoint = _load_checkpoint(path, map_location='cpu')
    try:
        state_dict = extract_state_dict(checkpoint)
    except ConversionError as err:
        raise ConversionError(f'teacher_ckpt "{path}": {err}') from None
    own = teacher.state_dict()
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    mismatched = sorted(
        k for k in set(own) & set(state_dict)
        if tuple(own[k].shape) != tuple(state_dict[k].shape))
    if missing or unexpected or mismatched:
        lines = [f'teacher_ckpt "{path}" does not match the teacher model:']
        for what, keys in (('missing keys', missing),
                           ('unexpected keys', unexpected),
                           ('shape mismatch', mismatched)):
            if keys:
                shown = ', '.join(keys[:10])
                more = f' ... (+{len(keys) - 10})' if len(keys) > 10 else ''
                lines.append(f'  {what} ({len(keys)}): {shown}{more}')
        if any(k.startswith('student.') for k in state_dict):
            lines.append('  It looks like a distillation checkpoint; convert '
                         'it with tools/model_converters/'
                         'distill_to_student.py first.')
        raise ValueError('\n'.join(lines))
    load_state_dict(teacher, state_dict, strict=True)


def freeze(module: nn.Module) -> None:
    """No gradient and eval mode, for a module that must never change."""
    module.eval()
    for param in module.parameters():
        param.requires_grad_(False)
