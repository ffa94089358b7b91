# Copyright (c) mmlogitkd contributors. All rights reserved.
import os
import os.path as osp
from collections import OrderedDict

import torch

from mmlogitkd.utils.checkpoint import load_checkpoint_file
from .mdistiller import extract_state_dict

STUDENT_PREFIX = 'student.'


def student_state_dict(state_dict: dict, source: str = 'checkpoint') -> dict:
    """The ``student.*`` entries of a distiller's state dict, unprefixed."""
    student = OrderedDict((k[len(STUDENT_PREFIX):], v)
                          for k, v in state_dict.items()
                          if k.startswith(STUDENT_PREFIX))
    if not student:
        prefixes = sorted({k.split('.', 1)[0] for k in state_dict})
        raise KeyError(f'{source} holds no "student." weights (top-level '
                       f'prefixes: {prefixes}); is it a distillation '
                       'checkpoint?')
    return student


def distill_to_student(src: str, dst: str, allow_unsafe: bool = False) -> int:
    """Write the student of distillation checkpoint ``src`` to ``dst``.

    The result is ``{'state_dict': ..., 'meta': ...}``, what mmpretrain and
    mmdet load with ``load_checkpoint`` / ``tools/test.py``. The teacher (if
    it was saved), the optimizer and the message hub are dropped.

    ``src`` is read safely (:func:`mmlogitkd.utils.checkpoint.
    load_checkpoint_file`) unless ``allow_unsafe`` says it is trusted.

    Returns:
        int: Number of tensors written.
    """
    if not osp.isfile(src):
        raise FileNotFoundError(f'{src} does not exist')
    checkpoint = load_checkpoint_file(
        src,
        allow_unsafe=allow_unsafe,
        what='distillation checkpoint',
        opt_in='pass --allow-unsafe-checkpoint to '
        'tools/model_converters/distill_to_student.py')
    student = student_state_dict(extract_state_dict(checkpoint), source=src)
    meta = dict(checkpoint.get('meta', {}) or {})
    meta = {
        k: v
        for k, v in meta.items()
        if k in ('epoch', 'iter', 'dataset_meta', 'mmengine_version')
    }
    meta['converted_from'] = osp.abspath(src)
    if osp.dirname(dst):
        os.makedirs(osp.dirname(dst), exist_ok=True)
    torch.save(dict(state_dict=student, meta=meta), dst)
    return len(student)
