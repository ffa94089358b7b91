# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The student of a re-id distillation as a torchreid checkpoint."""
from collections import OrderedDict
from typing import Mapping, Optional

from torch import Tensor


def reid_student_to_torchreid(student_state_dict: Mapping[str, Tensor],
                              epoch: int = 0,
                              rank1: Optional[float] = None) -> dict:
    """A :class:`TorchreidClassifier` state dict as the checkpoint that
    torchreid's ``save_checkpoint`` writes.

    The wrapper's keys are torchreid's own (``conv1.weight``,
    ``classifier.weight``, ...), so the weights are kept as they are;
    ``torchreid.reid.utils.load_pretrained_weights(model, path)`` loads the
    saved dict into ``build_model(name, num_classes)`` with every layer
    matched.

    Args:
        student_state_dict (Mapping[str, Tensor]): The student's weights,
            e.g. :func:`~mmlogitkd.distillers.student_weights` of a
            distillation checkpoint (``student.`` prefix removed).
        epoch (int): Stored as ``'epoch'``. Defaults to 0.
        rank1 (float, optional): Stored as ``'rank1'`` when given.

    Returns:
        dict: ``{'state_dict': OrderedDict, 'epoch': int[, 'rank1': float]}``
        with tensors and plain numbers only, which ``torch.load`` reads with
        ``weights_only=True``.

    Raises:
        ValueError: Keys that are not a torchreid network's: a distiller's
            (``student.``/``teacher.``) or a wrapper's own
            (``data_preprocessor.``).
    """
    foreign = sorted(
        k for k in student_state_dict
        if k.startswith(('student.', 'teacher.', 'data_preprocessor.')))
    if foreign:
        raise ValueError(
            'expected the state dict of the student alone (torchreid keys), '
            f'got keys such as {foreign[:5]}; pass student_weights(ckpt) '
            'of the distillation checkpoint')
    checkpoint = dict(
        state_dict=OrderedDict(
            (k, v.detach().cpu()) for k, v in student_state_dict.items()),
        epoch=int(epoch))
    if rank1 is not None:
        checkpoint['rank1'] = float(rank1)
    return checkpoint
