# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The errors of reading a checkpoint, shared by every reader (the
``torch.save`` one of :mod:`mmlogitkd.utils.checkpoint` and the Detectron2
``.pkl`` one of :mod:`mmlogitkd.models.converters.detectron2`)."""
import pickle

__all__ = [
    'CheckpointError', 'UnsafeCheckpointError', 'CorruptCheckpointError'
]


class CheckpointError(Exception):
    """A checkpoint file cannot be loaded (base of the two below)."""


class UnsafeCheckpointError(CheckpointError, pickle.UnpicklingError):
    """A checkpoint holds an object that safe loading does not allow."""


class CorruptCheckpointError(CheckpointError, ValueError):
    """A file is no checkpoint at all, or a truncated / damaged one."""
