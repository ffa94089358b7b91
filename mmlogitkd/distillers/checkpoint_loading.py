# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Teacher and student weights from checkpoint files, loaded strictly: a
checkpoint that does not fit its model fails naming the file and the
missing / unexpected / mismatched keys, never half-loaded."""
import os.path as osp
from typing import Mapping

import torch.nn as nn
from mmengine.runner.checkpoint import load_state_dict
from torch import Tensor

from mmlogitkd.models.converters import (
    ConversionError,
    extract_state_dict,
    student_state_dict,
)
from mmlogitkd.utils.checkpoint import load_checkpoint_file

#: How to opt in for ``teacher_ckpt`` / ``student_ckpt``, for messages.
DISTILLER_OPT_IN = ('set model.allow_unsafe_checkpoint=True (in the config, '
                    'or --cfg-options model.allow_unsafe_checkpoint=True)')


def load_state_dict_strictly(model: nn.Module, state_dict: Mapping[str,
                                                                  Tensor],
                             source: str, target: str) -> None:
    """Load ``state_dict`` into ``model`` strictly, or raise a
    ``ValueError`` listing the missing, unexpected and shape-mismatched
    keys (``'<source> does not match <target>:'``, ten keys of each kind).

    A model on the ``meta`` device (names, shapes and dtypes only, e.g. the
    shell of a cached teacher) is only checked: it has no memory to load
    into.

    Args:
        model (nn.Module): The teacher or the student.
        state_dict (Mapping[str, Tensor]): Its weights, unprefixed.
        source (str): What the weights came from, e.g.
            ``'teacher_ckpt "t.pth"'``.
        target (str): What they should fit, e.g. ``'the teacher model'``.
    """
    own = model.state_dict()
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    mismatched = sorted(
        k for k in set(own) & set(state_dict)
        if tuple(own[k].shape) != tuple(state_dict[k].shape))
    if missing or unexpected or mismatched:
        lines = [f'{source} does not match {target}:']
        for what, keys in (('missing keys', missing),
                           ('unexpected keys', unexpected),
                           ('shape mismatch', mismatched)):
            if keys:
                shown = ', '.join(keys[:10])
                more = f' ... (+{len(keys) - 10})' if len(keys) > 10 else ''
                lines.append(f'  {what} ({len(keys)}): {shown}{more}')
        if any(k.startswith('student.') for k in state_dict):
            lines.append('  It looks like a distillation checkpoint; '
                         'convert it with tools/model_converters/'
                         'distill_to_student.py first.')
        raise ValueError('\n'.join(lines))
    if not any(v.is_meta for v in own.values()):
        load_state_dict(model, state_dict, strict=True)


def load_model_checkpoint(model: nn.Module,
                          path: str,
                          role: str,
                          allow_unsafe: bool = False,
                          student_prefix: bool = False) -> None:
    """Load a checkpoint into ``model`` strictly, failing with the path and
    the missing / unexpected / mismatched keys
    (:func:`load_state_dict_strictly`).

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
    load_state_dict_strictly(model, state_dict, f'{role} "{path}"',
                             f'the {target} model')


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
