# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Make torchvision import with a CPU-only torch 2.13.

Imported first by ``mmlogitkd/__init__.py``, so that it runs before anything
imports torchvision; nothing inside site-packages is edited. The PyPI
torchvision 0.28 wheel links CUDA libraries, so with a CPU-only torch its
``_C`` extension does not load and ``import torchvision`` fails with
``operator torchvision::nms does not exist``
(``torchvision/_meta_registrations.py`` registers a fake kernel for ``nms``
unconditionally). Where ``_C`` is missing, we define the ``torchvision::nms``
/ ``torchvision::qnms`` schemas ourselves with a pure PyTorch NMS kernel
before torchvision is imported. ``roi_align`` already falls back to
torchvision's own Python implementation when its ops are missing. Other
compiled ops (``roi_pool``, ``ps_roi_*``, ``deform_conv2d``) still raise
torchvision's own "Couldn't load custom C++ ops" error. Where ``_C`` loads
(any CUDA machine with a matching torch), nothing is done.

mmengine's checkpoint hooks (safe loading, atomic writes) are no import side
effect: see :func:`mmlogitkd.utils.checkpoint_hooks.install_checkpoint_hooks`.
"""
import importlib.util
import os.path as osp

import torch

__all__ = ['torchvision_ops_missing', 'nms_reference', 'apply']


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


def apply() -> None:
    """Apply the torchvision shim where it is needed; safe to call again."""
    _patch_torchvision()


apply()
