# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Students and teachers are models of their host library (mmpretrain,
mmdet, torchreid): their configs resolved and built in that library's
scope, and the class counts read from the built models."""
import copy
import os.path as osp
from typing import Dict, List, Optional, Union

import torch.nn as nn
from mmengine.config import Config, ConfigDict

from mmlogitkd.registry import MODELS
from mmlogitkd.utils.registry_hints import explain_unknown_type

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
        hint = explain_unknown_type(err, f'model.{role}')
        if hint is None:
            raise
        raise hint from None


def box_head(model: nn.Module) -> Optional[nn.Module]:
    """The box head of an mmdet two-stage detector (``roi_head.bbox_head``),
    or None for another model."""
    return getattr(getattr(model, 'roi_head', None), 'bbox_head', None)


def num_classes_of(model: nn.Module) -> Optional[int]:
    """The classes a student / teacher predicts: ``num_classes`` of an mmdet
    two-stage detector's box head (foreground), of an mmpretrain
    classifier's ``head``, or of a
    :class:`~mmlogitkd.models.TorchreidClassifier` (identities); None for
    another model."""
    for owner in (box_head(model), getattr(model, 'head', None), model):
        num = getattr(owner, 'num_classes', None)
        if isinstance(num, int):
            return num
    return None


def logit_width(model: nn.Module) -> Optional[int]:
    """``C`` of the ``[N, C]`` logits the losses get from a model: the
    output width of its linear classifier (a detector's ``fc_cls`` counts
    the background), else its :func:`num_classes_of`."""
    head = box_head(model)
    for fc in (getattr(head, 'fc_cls', None),
               getattr(getattr(model, 'head', None), 'fc', None),
               getattr(model, 'classifier', None)):
        if isinstance(fc, nn.Linear):
            return fc.out_features
    num = num_classes_of(model)
    return num + 1 if num is not None and head is not None else num


def build_distill_losses(cfgs: Dict[str, Union[dict, nn.Module]]
                         ) -> nn.ModuleDict:
    """``name -> loss`` from ``name -> config``; a misspelt type fails
    naming ``model.distill_losses.<name>`` and the closest registered
    types."""
    losses = {}
    for name, cfg in cfgs.items():
        if isinstance(cfg, nn.Module):
            losses[name] = cfg
            continue
        try:
            losses[name] = MODELS.build(cfg)
        except KeyError as err:
            hint = explain_unknown_type(err, f'model.distill_losses.{name}')
            if hint is None:
                raise
            raise hint from None
    return nn.ModuleDict(losses)


def label_mixing_augments(model: nn.Module) -> List[str]:
    """Names of the batch augments of a model's mmpretrain preprocessor
    (every one of them, Mixup, CutMix, ResizeMix, mixes labels)."""
    augments = getattr(getattr(model, 'data_preprocessor', None),
                       'batch_augments', None)
    if augments is None:
        return []
    return [
        type(aug).__name__ for aug in getattr(augments, 'augments', [augments])
        if aug is not None
    ]
