# Copyright (c) mmlogitkd contributors. All rights reserved.
from typing import Optional

import torch
import torch.nn as nn
from mmengine.model import BaseDataPreprocessor

from mmlogitkd.registry import MODELS

# settings of mmengine / mmpretrain / mmdet preprocessors that change what a
# model sees; two preprocessors that agree on all of them give one batch
_SETTINGS = ('_enable_normalize', '_channel_conversion', 'pad_size_divisor',
             'pad_value', 'pad_mask', 'mask_pad_value', 'pad_seg',
             'seg_pad_value', 'boxtype2tensor', 'non_blocking')


def same_preprocessing(a: nn.Module, b: nn.Module) -> bool:
    """Whether two data preprocessors normalise and pad a batch alike, so
    that the teacher can share the student's tensor."""
    if type(a) is not type(b):
        return False
    if any(getattr(a, k, None) != getattr(b, k, None) for k in _SETTINGS):
        return False
    for name in ('mean', 'std'):
        x, y = getattr(a, name, None), getattr(b, name, None)
        if (x is None) != (y is None):
            return False
        if x is not None and not torch.equal(x, y):
            return False
    # batch augments are left out: with one shared tensor the teacher sees
    # the student's augmented batch, and its own augments never run
    return True


@MODELS.register_module()
class DistillDataPreprocessor(BaseDataPreprocessor):
    """Each model's own preprocessing of one batch.

    The student's output is the distiller's (``inputs``, ``data_samples``),
    so training, validation and export see what the student alone would.
    In training, when the teacher normalises differently (another mean,
    std, channel order or padding: e.g. a Detectron2 teacher taking BGR with
    std 1 beside a torchvision student taking RGB with ImageNet std), its own
    preprocessor makes ``teacher_inputs`` from the same raw batch; otherwise
    the teacher shares the student's tensor at no cost.

    Random batch augments (Mixup, CutMix, ...) must produce one batch for
    both models, so they are only allowed where the preprocessing is shared.

    Args:
        student (nn.Module): The student's data preprocessor.
        teacher (nn.Module, optional): The teacher's data preprocessor;
            None when no teacher runs (a distiller reading a teacher
            cache): only the student's inputs are made.
    """

    def __init__(self, student: nn.Module,
                 teacher: Optional[nn.Module]) -> None:
        super().__init__()
        self.student = student
        self.teacher = teacher
        # no teacher preprocessor: no teacher inputs to make (the
        # CachedTeacher source's preprocessor)
        self.shared = teacher is None or same_preprocessing(student, teacher)
        if not self.shared and (getattr(student, 'batch_augments', None)
                                or getattr(teacher, 'batch_augments', None)):
            raise ValueError(
                'The student and the teacher preprocess their inputs '
                'differently and one of them has batch_augments: the two '
                'models would see differently augmented images. Give both '
                'the same data_preprocessor settings, or move the augment '
                'into the dataset pipeline.')

    def forward(self, data: dict, training: bool = False) -> dict:
        """``dict(inputs, data_samples)`` of the student, plus
        ``teacher_inputs`` in training when the teacher's differ."""
        teacher_inputs: Optional[torch.Tensor] = None
        if training and not self.shared:
            # the teacher first: shared data samples end with the
            # student's meta information (pad shapes etc.)
            teacher_inputs = self.teacher(data, training)['inputs']
        out = self.student(data, training)
        if teacher_inputs is not None:
            out['teacher_inputs'] = teacher_inputs
        return out
