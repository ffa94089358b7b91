# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Make the pinned OpenMMLab stack work together on torch 2.13.

Imported first by ``mmlogitkd/__init__.py``; nothing inside site-packages is
edited. Two problems are solved here:

1. **torchvision without its compiled ops.** The PyPI torchvision 0.28 wheel
   links CUDA libraries, so with a CPU-only torch its ``_C`` extension does
   not load and ``import torchvision`` fails with ``operator torchvision::nms
   does not exist`` (``torchvision/_meta_registrations.py`` registers a fake
   kernel for ``nms`` unconditionally). Where ``_C`` is missing, we define the
   ``torchvision::nms`` / ``torchvision::qnms`` schemas ourselves with a pure
   PyTorch NMS kernel before torchvision is imported. ``roi_align`` already
   falls back to torchvision's own Python implementation when its ops are
   missing. Other compiled ops (``roi_pool``, ``ps_roi_*``, ``deform_conv2d``)
   still raise torchvision's own "Couldn't load custom C++ ops" error. Where
   ``_C`` loads (any CUDA machine with a matching torch), nothing is done.
2. **mmengine checkpoints under safe loading.** Since torch 2.6,
   ``torch.load`` defaults to ``weights_only=True``, and mmengine 0.10.7 cannot
   read back the checkpoints it writes (they hold ``HistoryBuffer`` objects
   and numpy arrays/scalars), so ``resume`` and ``load_from`` break. We
   allow-list exactly the types mmengine's own checkpoints contain; anything
   else is still refused, with a message that names the file. mmengine's
   local and http(s) checkpoint loaders are replaced by
   :func:`mmlogitkd.utils.checkpoint.load_checkpoint_file`, the one loading
   function of the toolkit.
3. **Atomic checkpoint writes.** mmengine writes a checkpoint with
   ``LocalBackend.put``, an ``open(path, 'wb')`` on the final name: a run
   killed mid-save leaves a truncated file there (over the previous one when
   the name repeats). ``put`` now writes a temporary file in the same folder
   and renames it over the destination once complete, for every config run
   in a process that imported ``mmlogitkd`` (tools/train.py, mmdet's and
   mmpretrain's runtimes alike).
"""
import importlib.util
import os.path as osp
import pickle

import torch

__all__ = [
    'torchvision_ops_missing', 'nms_reference', 'mmengine_safe_globals',
    'CheckpointError', 'UnsafeCheckpointError', 'CorruptCheckpointError'
]


def torchvision_ops_missing() -> bool:
    """Whether torchvision is installed but its compiled ``_C`` won't load."""
    spec = importlib.util.find_spec('torchvision')
    if spec is None or not spec.submodule_search_locations:
        return False
    if hasattr(torch.ops.torchvision, 'nms'):
        return False  # already loaded, by torchvision or by us
    lib_dir = spec.submodule_search_locations[0]
    candidates = [
        osp.join(lib_dir, name) for name in ('_C.so', '_C.pyd')
        if osp.exists(osp.join(lib_dir, name))
    ]
    for path in candidates:
        try:
            torch.ops.load_library(path)
            return False
        except (OSError, RuntimeError):
            pass
    return True


def nms_reference(boxes: torch.Tensor, scores: torch.Tensor,
                  iou_threshold: float) -> torch.Tensor:
    """Greedy NMS in plain PyTorch, the semantics of ``torchvision.ops.nms``.

    Args:
        boxes (Tensor): ``[n, 4]`` boxes as ``(x1, y1, x2, y2)``.
        scores (Tensor): ``[n]`` scores.
        iou_threshold (float): boxes with IoU > threshold are suppressed.

    Returns:
        Tensor: ``[m]`` int64 indices of the kept boxes, by decreasing score.
    """
    if boxes.numel() == 0:
        return torch.empty((0, ), dtype=torch.int64, device=boxes.device)
    order = scores.argsort(descending=True, stable=True)
    b = boxes[order]
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    lt = torch.maximum(b[:, None, :2], b[None, :, :2])
    rb = torch.minimum(b[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(dim=2)
    iou = inter / (area[:, None] + area[None, :] - inter)
    # suppresses[i, j]: the higher-scored box i would suppress box j.
    suppresses = torch.triu(iou > iou_threshold, diagonal=1)
    # Greedy NMS is the fixed point of "keep j unless a kept box above it
    # suppresses it"; each pass settles at least one more box in score
    # order, so it converges in at most n passes, usually in a handful.
    keep = torch.ones(len(b), dtype=torch.bool, device=b.device)
    while True:
        new_keep = ~(suppresses & keep[:, None]).any(dim=0)
        if torch.equal(new_keep, keep):
            break
        keep = new_keep
    return order[keep]


def _define_torchvision_nms() -> None:
    lib = torch.library.Library('torchvision', 'DEF')
    lib.define(
        'nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor')
    lib.define('qnms(Tensor dets, Tensor scores, float iou_threshold) '
               '-> Tensor')

    def nms_kernel(dets, scores, iou_threshold):
        if dets.dim() != 2 or dets.size(1) != 4:
            raise ValueError('nms: boxes should be [N, 4], got '
                             f'{tuple(dets.shape)}')
        if scores.shape != dets.shape[:1]:
            raise ValueError(f'nms: scores should be [{dets.size(0)}], got '
                             f'{tuple(scores.shape)}')
        return nms_reference(dets, scores, iou_threshold)

    def qnms_kernel(dets, scores, iou_threshold):
        raise NotImplementedError(
            'torchvision::qnms (quantized NMS) needs torchvision\'s compiled '
            'ops, which do not load with this CPU-only torch.')

    lib.impl('nms', nms_kernel, 'CompositeExplicitAutograd')
    lib.impl('qnms', qnms_kernel, 'CompositeExplicitAutograd')
    # The Library object must outlive this function or the ops vanish.
    global _TORCHVISION_LIB
    _TORCHVISION_LIB = lib


_TORCHVISION_LIB = None


def _patch_torchvision() -> None:
    if not torchvision_ops_missing():
        return
    _define_torchvision_nms()
    import torchvision.extension
    import torchvision.ops.boxes

    def _assert_nms_available():
        # nms is the only op of torchvision.ops.boxes that asserts ops; we
        # provide it, so the check passes there and nowhere else.
        return None

    torchvision.ops.boxes._assert_has_ops = _assert_nms_available


# --------------------------------------------------------------------------
# mmengine checkpoints under ``torch.load(weights_only=True)``
# --------------------------------------------------------------------------


class CheckpointError(Exception):
    """A checkpoint file cannot be loaded (base of the two below)."""


class UnsafeCheckpointError(CheckpointError, pickle.UnpicklingError):
    """A checkpoint holds an object that safe loading does not allow."""


class CorruptCheckpointError(CheckpointError, ValueError):
    """A file is no checkpoint at all, or a truncated / damaged one."""


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
    """The non-tensor types that mmengine's own checkpoints contain."""
    from collections import Counter

    from mmengine.logging.history_buffer import HistoryBuffer
    return [
        HistoryBuffer,
        Counter,  # MultiStepLR milestones
        (_history_buffer_getattr, '__builtin__.getattr'),
        (_history_buffer_getattr, 'builtins.getattr'),
    ] + _numpy_safe_globals()


#: How to opt in for a file loaded through mmengine (``load_from``,
#: ``resume``), named in the refusal message.
LOAD_FROM_OPT_IN = (
    'for load_from / --resume, set allow_unsafe_checkpoint=True at the top '
    'level of the config (or --cfg-options allow_unsafe_checkpoint=True)')


def load_from_local_safe(filename, map_location):
    """mmengine's local checkpoint loader, through
    :func:`mmlogitkd.utils.checkpoint.load_checkpoint_file`: safe loading
    kept on, clear errors for unsafe and for damaged files. Files named by
    :func:`~mmlogitkd.utils.checkpoint.trusted_checkpoints` (what
    ``tools/train.py`` does for ``allow_unsafe_checkpoint=True``) are read
    without the allow-list."""
    # imported here: compat must not import the rest of mmlogitkd before its
    # own shims are in place
    from mmlogitkd.utils.checkpoint import (is_trusted_checkpoint,
                                            load_checkpoint_file)
    return load_checkpoint_file(
        filename,
        map_location,
        allow_unsafe=is_trusted_checkpoint(filename),
        what='checkpoint',
        opt_in=LOAD_FROM_OPT_IN)


def load_from_http_safe(filename, map_location):
    """Download (rank 0 first) and load like a local file."""
    return load_from_local_safe(filename, map_location)


def _patch_mmengine_checkpoints() -> None:
    torch.serialization.add_safe_globals(mmengine_safe_globals())
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local_safe, force=True)
    CheckpointLoader.register_scheme(
        prefixes=('http://', 'https://'),
        loader=load_from_http_safe,
        force=True)


def _atomic_put(self, obj: bytes, filepath) -> None:
    """``LocalBackend.put`` writing a temporary sibling, then renaming it
    over ``filepath``: a reader (``--resume``) never sees a partial file."""
    from mmlogitkd.utils.checkpoint import atomic_write_bytes
    atomic_write_bytes(obj, filepath)


def _patch_atomic_put() -> None:
    from mmengine.fileio.backends import LocalBackend
    if getattr(LocalBackend.put, '__name__', '') != '_atomic_put':
        LocalBackend.put = _atomic_put


def apply() -> None:
    """Apply every shim; safe to call more than once."""
    _patch_torchvision()
    _patch_mmengine_checkpoints()
    _patch_atomic_put()


apply()
