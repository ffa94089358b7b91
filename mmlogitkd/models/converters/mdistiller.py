# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Convert RepDistiller / mdistiller checkpoints to mmpretrain classifiers.

The public CIFAR-100 teachers of RepDistiller / mdistiller are
``torch.save({'model': state_dict, ...})`` of the original model. Our
backbones keep the original module names wherever they are sensible, so the
mapping is: a few per-family renames (listed in ``RENAME_RULES``), the
``backbone.`` prefix, and the original classifier (``fc`` / ``linear`` /
``classifier`` / ``classifier.0``) becoming mmpretrain's ``head.fc``.

The conversion is strict: every parameter and buffer of our backbone must be
filled, every source key used, and shapes must agree; errors name the keys.
Only a missing ``num_batches_tracked`` buffer (checkpoints of old PyTorch) is
tolerated and filled with 0.
"""
import argparse
import re
from collections import OrderedDict
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import torch

from mmlogitkd.utils.checkpoint import load_checkpoint_file as _load_safely
from .. import backbones
from ..backbones.cifar_zoo import CIFAR_ZOO, get_zoo_entry

#: Source name of the final linear layer of each mdistiller model.
HEAD_PREFIXES: Dict[str, str] = {
    **{name: 'fc.'
       for name in CIFAR_ZOO if name.startswith(('resnet', 'wrn_'))},
    **{name: 'classifier.' for name in CIFAR_ZOO if name.startswith('vgg')},
    'ResNet18': 'linear.',
    'ResNet50': 'linear.',
    'ShuffleV1': 'linear.',
    'ShuffleV2': 'linear.',
    'MobileNetV2': 'classifier.0.',
    'MobileNetV1': 'fc.',
}

_WRN_RULES = [
    (r'^block(\d)\.layer\.', r'layer\1.'),
    (r'\.convShortcut\.', '.shortcut.'),
    (r'^bn1\.', 'final_bn.'),
]

#: ``(pattern, replacement)`` regex renames from source to our backbone
#: names, applied in order to each (head-stripped) source key. Families
#: missing here keep the original names.
RENAME_RULES: Dict[str, List[Tuple[str, str]]] = {
    **{name: _WRN_RULES
       for name in CIFAR_ZOO if name.startswith('wrn_')},
    'MobileNetV2': [(r'^blocks\.(\d+)\.',
                     lambda m: f'layer{int(m.group(1)) + 1}.')],
    'MobileNetV1': [(r'^model\.(\d+)\.', r'layers.\1.')],
}

#: Where ``torch.save`` dicts of the common training scripts keep weights.
STATE_DICT_KEYS = ('model', 'state_dict', 'net', 'model_state_dict')


class ConversionError(ValueError):
    """A checkpoint does not match the requested architecture."""


def _is_state_dict(obj: Any) -> bool:
    return (isinstance(obj, Mapping) and len(obj) > 0
            and all(isinstance(k, str) for k in obj)
            and all(isinstance(v, torch.Tensor) for v in obj.values()))


def extract_state_dict(checkpoint: Any,
                       prefix: Optional[str] = None) -> 'OrderedDict':
    """Find the model state dict inside a loaded checkpoint.

    Looks under ``'model'``, ``'state_dict'``, ``'net'`` and
    ``'model_state_dict'``, else accepts a top-level state dict. A
    ``module.`` prefix on every key (``DataParallel``) is removed.

    Args:
        checkpoint: The object ``torch.load`` returned.
        prefix (str, optional): Keep only keys starting with this prefix and
            strip it (e.g. ``'module.student.'`` to pull the student out of a
            saved mdistiller distiller). Defaults to None.

    Returns:
        OrderedDict: name -> tensor.
    """
    if _is_state_dict(checkpoint):
        state_dict = checkpoint
    else:
        state_dict = None
        if isinstance(checkpoint, Mapping):
            for key in STATE_DICT_KEYS:
                if _is_state_dict(checkpoint.get(key)):
                    state_dict = checkpoint[key]
                    break
        if state_dict is None:
            if isinstance(checkpoint, Mapping):
                found = ', '.join(
                    f'{k!r} ({type(v).__name__})'
                    for k, v in list(checkpoint.items())[:20]) or 'none'
                desc = f'a dict with top-level keys: {found}'
            else:
                desc = f'an object of type {type(checkpoint).__name__}'
            raise ConversionError(
                'Cannot find a state dict in the checkpoint: expected a '
                'dict of tensors at the top level or under one of '
                f'{list(STATE_DICT_KEYS)}, but the checkpoint is {desc}.')
    state_dict = OrderedDict(state_dict)
    if prefix:
        kept = OrderedDict((k[len(prefix):], v)
                           for k, v in state_dict.items()
                           if k.startswith(prefix))
        if not kept:
            raise ConversionError(
                f'No key starts with prefix {prefix!r}; first keys: '
                f'{list(state_dict)[:10]}')
        state_dict = kept
    if all(k.startswith('module.') for k in state_dict):
        state_dict = OrderedDict(
            (k[len('module.'):], v) for k, v in state_dict.items())
    return state_dict


def _rename(key: str, rules: Sequence[Tuple[str, Any]]) -> str:
    for pattern, repl in rules:
        key = re.sub(pattern, repl, key)
    return key


def _fmt(keys: Sequence[str], limit: int = 12) -> str:
    keys = list(keys)
    shown = ', '.join(keys[:limit])
    if len(keys) > limit:
        shown += f', ... ({len(keys) - limit} more)'
    return shown


def _expected_backbone_state(arch: str) -> 'OrderedDict':
    """Names and shapes of our backbone's state dict (built on ``meta``)."""
    cfg = get_zoo_entry(arch)['backbone']
    # The class itself rather than MODELS.build: no dependency on the default
    # scope nor on importing the registry's other locations.
    backbone_cls = getattr(backbones, cfg.pop('type'))
    with torch.device('meta'):
        backbone = backbone_cls(**cfg)
    return OrderedDict((k, (tuple(v.shape), v.dtype))
                       for k, v in backbone.state_dict().items())


def convert_mdistiller_state_dict(state_dict: Mapping[str, torch.Tensor],
                                  arch: str) -> 'OrderedDict':
    """Map an original RepDistiller / mdistiller state dict to ours.

    Args:
        state_dict (Mapping[str, Tensor]): Weights of the original model
            (e.g. ``torch.load(path)['model']``; see
            :func:`extract_state_dict`).
        arch (str): The mdistiller model name (a key of ``CIFAR_ZOO``, e.g.
            ``'resnet32x4'``, ``'wrn_40_2'``, ``'ShuffleV1'``).

    Returns:
        OrderedDict: ``backbone.*`` keys of our backbone (in its order)
        followed by ``head.fc.weight`` and ``head.fc.bias``, i.e. the state
        dict of an mmpretrain ``ImageClassifier(backbone, GlobalAveragePooling,
        LinearClsHead)``.

    Raises:
        ConversionError: If keys are missing, left unused, collide or have
            the wrong shape; the message names them.
    """
    if arch not in CIFAR_ZOO:
        raise ConversionError(f'Unknown arch {arch!r}; known mdistiller '
                              f'names: {", ".join(CIFAR_ZOO)}')
    expected = _expected_backbone_state(arch)
    out_channels = CIFAR_ZOO[arch]['out_channels']
    head_prefix = HEAD_PREFIXES[arch]
    rules = RENAME_RULES.get(arch, [])
    hint = (f' Is {arch!r} the architecture this checkpoint was trained '
            'with?')

    converted: Dict[str, torch.Tensor] = {}
    origin: Dict[str, str] = {}
    unexpected: List[str] = []
    collisions: List[str] = []
    for src_key, value in state_dict.items():
        if src_key.startswith(head_prefix):
            new_key = 'head.fc.' + src_key[len(head_prefix):]
            if new_key not in ('head.fc.weight', 'head.fc.bias'):
                unexpected.append(src_key)
                continue
        else:
            new_key = 'backbone.' + _rename(src_key, rules)
            if new_key[len('backbone.'):] not in expected:
                unexpected.append(f'{src_key} (-> {new_key})'
                                  if rules else src_key)
                continue
        if new_key in converted:
            collisions.append(f'{origin[new_key]} and {src_key} -> {new_key}')
            continue
        converted[new_key] = value
        origin[new_key] = src_key

    missing = []
    for key, (shape, dtype) in expected.items():
        full_key = 'backbone.' + key
        if full_key in converted:
            continue
        if key.endswith('num_batches_tracked'):
            converted[full_key] = torch.tensor(0, dtype=dtype)
            origin[full_key] = '<filled with 0>'
        else:
            missing.append(key)
    missing += [k for k in ('head.fc.weight', 'head.fc.bias')
                if k not in converted]

    problems = []
    if missing:
        problems.append(f'{len(missing)} key(s) of our model have no source '
                        f'(missing from the checkpoint): {_fmt(missing)}')
    if unexpected:
        problems.append(f'{len(unexpected)} source key(s) unused '
                        f'(unexpected for {arch}): {_fmt(unexpected)}')
    if collisions:
        problems.append('source keys map to the same key: ' +
                        _fmt(collisions))
    if problems:
        raise ConversionError(f'Checkpoint does not match {arch!r}: ' +
                              '; '.join(problems) + '.' + hint)

    mismatched = []
    for key, value in converted.items():
        if key.startswith('backbone.'):
            shape = expected[key[len('backbone.'):]][0]
        elif key == 'head.fc.weight':
            shape = (value.shape[0], out_channels) if value.ndim == 2 else (
                'num_classes', out_channels)
        else:  # head.fc.bias
            weight = converted['head.fc.weight']
            shape = (weight.shape[0], )
        if tuple(value.shape) != shape:
            mismatched.append(f'{origin[key]} -> {key}: checkpoint '
                              f'{tuple(value.shape)} vs expected {shape}')
    if mismatched:
        raise ConversionError(f'Shape mismatch converting {arch!r}: ' +
                              _fmt(mismatched, limit=8) + '.' + hint)

    order = ['backbone.' + k for k in expected] + ['head.fc.weight',
                                                   'head.fc.bias']
    return OrderedDict((k, converted[k]) for k in order)


def load_checkpoint_file(path: str, trust_pickle: bool = False) -> Any:
    """Read a RepDistiller / mdistiller checkpoint through the toolkit's one
    loading function (:func:`mmlogitkd.utils.checkpoint.load_checkpoint_file`
    ): safely, with ``argparse.Namespace`` (the ``opt`` some RepDistiller
    checkpoints keep) allowed too, unless ``trust_pickle`` (the tool's
    ``--allow-unsafe-checkpoint``) says the file is trusted.

    Raises:
        UnsafeCheckpointError: The file needs other Python objects.
        CorruptCheckpointError: The file is no checkpoint or is truncated.
    """
    return _load_safely(
        path,
        allow_unsafe=trust_pickle,
        safe_globals=[argparse.Namespace],
        what='source checkpoint',
        opt_in='pass --allow-unsafe-checkpoint (formerly --trust-pickle) to '
        'tools/model_converters/mdistiller_to_mmlogitkd.py')


def _scalar(value: Any) -> Any:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    if isinstance(value, (int, float, str, bool)):
        return value
    return None


def convert_mdistiller_checkpoint(src: str,
                                  dst: str,
                                  arch: str,
                                  prefix: Optional[str] = None,
                                  trust_pickle: bool = False) -> dict:
    """Convert a checkpoint file; see :func:`convert_mdistiller_state_dict`.

    Writes ``{'state_dict': ..., 'meta': ...}`` to ``dst`` and returns it.
    ``meta`` records the arch, our backbone config, the head size and the
    scalar training info found in the source (``epoch``, ``accuracy``,
    ``best_acc``).
    """
    checkpoint = load_checkpoint_file(src, trust_pickle=trust_pickle)
    state_dict = extract_state_dict(checkpoint, prefix=prefix)
    converted = convert_mdistiller_state_dict(state_dict, arch)
    entry = get_zoo_entry(arch)
    meta = dict(
        converted_from='mdistiller',
        source=str(src),
        arch=arch,
        backbone=entry['backbone'],
        out_channels=entry['out_channels'],
        num_classes=int(converted['head.fc.weight'].shape[0]))
    if isinstance(checkpoint, Mapping):
        for key in ('epoch', 'accuracy', 'best_acc'):
            value = _scalar(checkpoint.get(key))
            if value is not None:
                meta[key] = value
    result = dict(state_dict=converted, meta=meta)
    torch.save(result, dst)
    return result
