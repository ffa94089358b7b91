# Copyright (c) mmlogitkd contributors. All rights reserved.
import copy
import os.path as osp
from typing import Optional, Union

import torch.nn as nn
from mmengine.config import Config, ConfigDict
from mmengine.runner.checkpoint import _load_checkpoint, load_state_dict

from mmlogitkd.models.converters import ConversionError, extract_state_dict
from mmlogitkd.registry import MODELS

#: ``mmlogitkd::<path>`` names a file under this repository's ``configs/``
CONFIG_ROOT = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs')


def resolve_cfg_path(cfg_path: str, role: str = 'model'):
    """Path and scope of a model config file.

    ``mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py`` (any installed
    OpenMMLab package, as in ``_base_``), ``mmlogitkd::_base_/models/x.py``
    (this repository's ``configs/``), or a plain path.

    Returns:
        tuple[str, str | None]: The file and the scope it implies.
    """
    if cfg_path.startswith('mmlogitkd::'):
        path, scope = osp.join(CONFIG_ROOT, cfg_path.split('::', 1)[1]), None
    elif '::' in cfg_path:
        path, scope = Config._get_cfg_path(cfg_path, '')
    else:
        path, scope = osp.expanduser(cfg_path), None
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{role}.cfg_path "{cfg_path}" does not exist (looked for '
            f'{path})')
    return path, scope


def resolve_host_cfg(cfg: Union[dict, ConfigDict],
                     role: str,
                     host_scope: Optional[str] = None,
                     data_preprocessor: Optional[dict] = None) -> ConfigDict:
    """The complete config of a student / teacher, ready to build.

    - ``cfg_path='mmdet::...'`` loads the ``model`` of that config file
      (how a host library's model files are reused); the other keys of
      ``cfg`` are merged into it as overrides (``_delete_`` works).
    - ``type='mmpretrain.ImageClassifier'`` becomes ``type=
      'ImageClassifier', _scope_='mmpretrain'``, so the model's own parts
      (backbone, neck, head, losses) resolve in its host library's registry
      as they would in that library's config; an unprefixed type gets the
      scope of its ``cfg_path`` package, else ``host_scope``.
    - A model config without a ``data_preprocessor`` gets
      ``data_preprocessor`` (the distiller's), so the model alone, e.g.
      when exported, normalises as it did in training.

    Args:
        cfg (dict): The model config.
        role (str): ``'student'`` or ``'teacher'``, for error messages.
        host_scope (str, optional): Default scope of unprefixed types.
        data_preprocessor (dict, optional): Fallback preprocessor config.
    """
    if not isinstance(cfg, dict):
        raise TypeError(f'The {role} must be a config dict, got {cfg!r}')
    cfg = ConfigDict(copy.deepcopy(cfg))
    cfg_path = cfg.pop('cfg_path', None)
    if cfg_path is not None:
        path, scope = resolve_cfg_path(cfg_path, role)
        loaded = Config.fromfile(path)
        if 'model' not in loaded:
            raise KeyError(f'{role}.cfg_path "{cfg_path}" ({path}) defines '
                           'no `model`')
        model = ConfigDict(loaded.model.to_dict())
        cfg = ConfigDict(Config._merge_a_into_b(cfg, model))
        if scope is not None:
            cfg.setdefault('_scope_', scope)
    if 'type' not in cfg:
        raise TypeError(f'The {role} config has no "type": {dict(cfg)!r}')
    model_type = cfg['type']
    if isinstance(model_type, str) and '.' in model_type:
        scope, name = model_type.split('.', 1)
        cfg.setdefault('_scope_', scope)
        cfg['type'] = name
    elif host_scope is not None:
        cfg.setdefault('_scope_', host_scope)
    if data_preprocessor is not None and not cfg.get('data_preprocessor'):
        cfg['data_preprocessor'] = copy.deepcopy(data_preprocessor)
    return cfg


def build_host_model(cfg: Union[dict, nn.Module],
                     role: str,
                     host_scope: Optional[str] = None,
                     data_preprocessor: Optional[dict] = None) -> nn.Module:
    """Build a student / teacher in its host library's scope (see
    :func:`resolve_host_cfg`); an ``nn.Module`` is returned as it is."""
    if isinstance(cfg, nn.Module):
        return cfg
    cfg = resolve_host_cfg(cfg, role, host_scope, data_preprocessor)
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
    check_state_dict_fits(teacher, state_dict, f'teacher_ckpt "{path}"',
                          'the teacher model')
    load_state_dict(teacher, state_dict, strict=True)


def check_state_dict_fits(model: nn.Module, state_dict: dict, source: str,
                          target: str) -> None:
    """Raise a ``ValueError`` listing missing, unexpected and mismatched
    keys when ``state_dict`` does not fit ``model`` exactly."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    mismatched = sorted(
        k for k in set(own) & set(state_dict)
        if tuple(own[k].shape) != tuple(state_dict[k].shape))
    if not (missing or unexpected or mismatched):
        return
    lines = [f'{source} does not match {target}:']
    for what, keys in (('missing keys', missing),
                       ('unexpected keys', unexpected),
                       ('shape mismatch', mismatched)):
        if keys:
            shown = ', '.join(keys[:10])
            more = f' ... (+{len(keys) - 10})' if len(keys) > 10 else ''
            lines.append(f'  {what} ({len(keys)}): {shown}{more}')
    if any(k.startswith('student.') for k in state_dict):
        lines.append('  It looks like a distillation checkpoint; convert '
                     'it with tools/model_converters/distill_to_student.py '
                     'first.')
    raise ValueError('\n'.join(lines))


def freeze(module: nn.Module) -> None:
    """No gradient and eval mode, for a module that must never change."""
    module.eval()
    for param in module.parameters():
        param.requires_grad_(False)
