# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Checkpoints name the teacher they were trained with.

A distiller's ``state_dict`` records the sha256 of its teacher's weights
(state-dict metadata ``teacher_sha256``) and, unless ``save_teacher``,
leaves those weights out: they are ``teacher_ckpt``'s, unchanged. Loading a
checkpoint back (``--resume``, ``load_from``) checks it against the
distiller's :class:`~mmlogitkd.distillers.teacher_source.TeacherSource`, so
a run never goes on distilling from another teacher than it was trained
with.
"""
import logging
from typing import Optional

import torch.nn as nn
from mmengine.logging import print_log

from mmlogitkd.utils.checkpoint import state_dict_sha256

__all__ = ['TeacherMismatchError', 'install_teacher_checksum',
           'check_checkpoint_teacher']


class TeacherMismatchError(ValueError):
    """A checkpoint was trained with another teacher than the one this
    distiller loaded from ``teacher_ckpt``."""


def install_teacher_checksum(distiller: nn.Module) -> None:
    """Register the state-dict hooks on ``distiller`` (which has
    ``teacher_source`` and ``save_teacher``); its
    ``_load_from_state_dict`` calls :func:`check_checkpoint_teacher`."""
    distiller._absent_teacher_prefix = None
    distiller._register_state_dict_hook(_drop_teacher_hook)
    distiller.register_load_state_dict_post_hook(_absent_teacher_hook)


def _drop_teacher_hook(module: nn.Module, state_dict: dict, prefix: str,
                       local_metadata: dict) -> None:
    """``state_dict`` hook: record the teacher's checksum in the
    distiller's state-dict metadata and, unless ``save_teacher``, leave the
    frozen teacher's weights out."""
    local_metadata['teacher_sha256'] = module.teacher_source.sha256()
    local_metadata['teacher_saved'] = bool(module.save_teacher)
    if module.save_teacher:
        return
    head = prefix + 'teacher.'
    for key in [k for k in state_dict if k.startswith(head)]:
        del state_dict[key]
    metadata = getattr(state_dict, '_metadata', None)
    if metadata is not None:
        for key in [
                k for k in metadata
                if k == prefix + 'teacher' or k.startswith(head)
        ]:
            del metadata[key]


def check_checkpoint_teacher(module: nn.Module, state_dict: dict,
                             prefix: str,
                             local_metadata: Optional[dict]) -> None:
    """Check the teacher a checkpoint was trained with, before loading.

    Runs first, on the whole state dict, while the teacher still holds
    ``teacher_ckpt``'s weights. A checkpoint without the teacher (the
    default) must record that teacher's checksum; one with the teacher
    (``save_teacher=True``) must hold these very weights. Otherwise:
    :class:`TeacherMismatchError`, with both checksums. Teacher keys the
    distiller has no weights for are then left out of the strict load's
    report (:func:`_absent_teacher_hook`).
    """
    source = module.teacher_source
    head = prefix + 'teacher.'
    saved = {
        k[len(head):]: v
        for k, v in state_dict.items() if k.startswith(head)
    }
    recorded = (local_metadata or {}).get('teacher_sha256')
    described = (f'teacher_ckpt "{source.ckpt}"' if source.ckpt else
                 'the teacher built without teacher_ckpt (random weights)')
    if saved:
        if source.compares_saved(saved):
            digest, current = state_dict_sha256(saved), source.sha256()
            if digest != current:
                raise TeacherMismatchError(
                    'The checkpoint holds a teacher whose weights differ '
                    f'from {described}: checkpoint teacher sha256 {digest}, '
                    f'{described} sha256 {current}. Set model.teacher_ckpt '
                    'to the teacher this checkpoint was trained with, or '
                    'start from its student with '
                    'model.student_ckpt=<checkpoint> instead.')
        # a partial teacher is reported by the usual missing keys
        if not source.holds_weights:
            module._absent_teacher_prefix = head
        return
    current = source.sha256()
    if recorded is None:
        print_log(
            'The checkpoint has neither teacher weights nor a teacher '
            'checksum (not saved by a distiller of this version?): the '
            f'teacher stays {described}, unverified.',
            logger='current',
            level=logging.WARNING)
    elif recorded != current:
        raise TeacherMismatchError(
            'The checkpoint was trained with another teacher than '
            f'{described}: checkpoint teacher sha256 {recorded}, '
            f'{described} sha256 {current}. Set model.teacher_ckpt to the '
            'teacher this checkpoint was trained with, or start from its '
            'student with model.student_ckpt=<checkpoint> instead.')
    module._absent_teacher_prefix = head


def _absent_teacher_hook(module: nn.Module, incompatible_keys) -> None:
    """``load_state_dict`` post hook: a checkpoint saved without the
    teacher (the default) misses every ``teacher.*`` key by design; the
    teacher keeps the weights of ``teacher_ckpt``, whose checksum
    :func:`check_checkpoint_teacher` has checked. A distiller without
    teacher weights (a cached teacher) ignores a saved teacher."""
    head, module._absent_teacher_prefix = module._absent_teacher_prefix, None
    if head:
        incompatible_keys.missing_keys[:] = [
            k for k in incompatible_keys.missing_keys
            if not k.startswith(head)
        ]
        if not module.teacher_source.holds_weights:
            incompatible_keys.unexpected_keys[:] = [
                k for k in incompatible_keys.unexpected_keys
                if not k.startswith(head)
            ]
