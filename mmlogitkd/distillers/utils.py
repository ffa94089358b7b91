# Copyright (c) mmlogitkd contributors. All rights reserved.
import copy
import os.path as osp
from typing import Optional, Union

import torch.nn as nn
from mmengine.config import Config, ConfigDict
from mmengine.runner.checkpoint import load_state_dict

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
    try:
        return MODELS.build(cfg)
    except KeyError as err:
        # a misspelt type (backbone, head, loss, ...): name the closest
        # registered ones instead of mmengine's bare KeyError
        from mmlogitkd.utils.registry_hints import explain_unknown_type
        hint = explain_unknown_type(err, f'model.{role}')
        if hint is None:
            raise
        raise hint from None


#: How to opt in for ``teacher_ckpt`` / ``student_ckpt``, for messages.
DISTILLER_OPT_IN = ('set model.allow_unsafe_checkpoint=True (in the config, '
                    'or --cfg-options model.allow_unsafe_checkpoint=True)')


def load_model_checkpoint(model: nn.Module,
                          path: str,
                          role: str,
                          allow_unsafe: bool = False,
                          student_prefix: bool = False) -> None:
    """Load a checkpoint into ``model`` strictly, failing with the path and
    the missing / unexpected / mismatched keys.

    Read by :func:`mmlogitkd.utils.checkpoint.load_checkpoint_file` (safe
    unless ``allow_unsafe``). Accepts mmengine/OpenMMLab checkpoints
    (``state_dict`` inside), torchreid's (``state_dict``, maybe ``module.``
    prefixed), plain state dicts and the other layouts of
    :func:`~mmlogitkd.models.converters.extract_state_dict`; a ``module.``
    prefix from DDP is stripped.

    Args:
        model (nn.Module): The teacher or the student.
        path (str): Path or URL of the checkpoint.
        role (str): Config key that named it, e.g. ``'teacher_ckpt'``.
        allow_unsafe (bool): The file is trusted (``allow_unsafe_checkpoint``).
        student_prefix (bool): A distillation checkpoint's ``student.*``
            weights are taken (for ``student_ckpt``: a previous student).
    """
    from mmlogitkd.models.converters import student_state_dict
    from mmlogitkd.utils.checkpoint import load_checkpoint_file
    is_url = path.startswith(('http://', 'https://'))
    if not is_url and not osp.isfile(osp.expanduser(path)):
        raise FileNotFoundError(
            f'{role} "{path}" does not exist. Train or download it first '
            '(see the README of the config folder), or set '
            f'model.{role} to its path.')
    checkpoint = load_checkpoint_file(
        path, what=role, allow_unsafe=allow_unsafe, opt_in=DISTILLER_OPT_IN)
    try:
        state_dict = extract_state_dict(checkpoint)
    except ConversionError as err:
        raise ConversionError(f'{role} "{path}": {err}') from None
    if student_prefix and any(k.startswith('student.') for k in state_dict):
        state_dict = student_state_dict(state_dict, source=path)
    target = role.replace('_ckpt', '')
    check_state_dict_fits(model, state_dict, f'{role} "{path}"',
                          f'the {target} model')
    load_state_dict(model, state_dict, strict=True)


def load_teacher_checkpoint(teacher: nn.Module,
                            path: str,
                            allow_unsafe: bool = False) -> None:
    """Load the teacher weights strictly, failing with the path and keys
    (:func:`load_model_checkpoint`)."""
    load_model_checkpoint(teacher, path, 'teacher_ckpt', allow_unsafe)


def load_student_checkpoint(student: nn.Module,
                            path: str,
                            allow_unsafe: bool = False) -> None:
    """Initialise the student from a plain host checkpoint (mmpretrain /
    mmdet / torchreid layout: ImageNet weights of the same model, a student
    trained alone) or from the ``student.*`` weights of a distillation
    checkpoint, strictly (:func:`load_model_checkpoint`)."""
    load_model_checkpoint(student, path, 'student_ckpt', allow_unsafe,
                          student_prefix=True)


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
