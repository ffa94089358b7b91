# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The allow-list of safe loading: the plain, non-tensor types that
mmengine's own checkpoints hold.

Since torch 2.6, ``torch.load`` defaults to ``weights_only=True``, and
mmengine 0.10.7 cannot read back the checkpoints it writes (they hold
``HistoryBuffer`` objects and numpy arrays / scalars), so ``resume`` and
``load_from`` break. Exactly these types are allowed; anything else is still
refused (:mod:`mmlogitkd.utils.checkpoint` names the file and the object).
"""
import pickle

__all__ = ['mmengine_safe_globals']


def _numpy_safe_globals() -> list:
    import numpy as np
    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar
    dtype_classes = [
        type(np.dtype(name)) for name in (
            'bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16',
            'uint32', 'uint64', 'float16', 'float32', 'float64', 'object',
            'str', 'bytes')
    ]
    return [_reconstruct, scalar, np.ndarray, np.dtype] + dtype_classes


def _history_buffer_getattr(obj, name):
    """``getattr`` restricted to ``HistoryBuffer``'s statistics methods.

    A ``HistoryBuffer`` pickles its ``_statistics_methods`` (``min``,
    ``max``, ...) as ``getattr(HistoryBuffer, 'min')``; a plain ``getattr``
    in the allow-list would let a checkpoint reach anything (``os.system``).
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    # The built-in four are only added to the registry by the first
    # HistoryBuffer created, so they are listed here too.
    allowed = {'min', 'max', 'current', 'mean'}
    allowed.update(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'getattr({obj!r}, {name!r}) is not allowed in a checkpoint')


def mmengine_safe_globals() -> list:
    """The non-tensor types that mmengine's own checkpoints contain, in the
    form ``torch.serialization.add_safe_globals`` takes."""
    from collections import Counter

    from mmengine.logging.history_buffer import HistoryBuffer
    return [
        HistoryBuffer,
        Counter,  # MultiStepLR milestones
        (_history_buffer_getattr, '__builtin__.getattr'),
        (_history_buffer_getattr, 'builtins.getattr'),
    ] + _numpy_safe_globals()
