# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Shape checks and mmdet-style reduction shared by every logit loss."""
import os
from typing import Optional

import torch
from torch import Tensor

REDUCTIONS = ('none', 'mean', 'sum')

#: Debug switch (``MMLOGITKD_EAGER_CHECKS=1``): value checks that are
#: device-side asserts in training (target range) read the device once per
#: call instead, so a bad value raises a ``ValueError`` at the call that
#: received it, on any device. Off by default: it costs a host sync per loss
#: call on a GPU.
EAGER_CHECKS = os.environ.get('MMLOGITKD_EAGER_CHECKS', '0') not in ('', '0')
# devices with a kernel for torch._assert_async ('meta' checks nothing)
_ASYNC_ASSERT_DEVICES = ('cpu', 'cuda', 'mps', 'meta')


def check_reduction(reduction: str) -> str:
    """Return ``reduction`` if it is one of :data:`REDUCTIONS`."""
    if reduction not in REDUCTIONS:
        raise ValueError(f'reduction must be one of {REDUCTIONS}, '
                         f'got {reduction!r}')
    return reduction


def check_logit_pair(student: Tensor, teacher: Tensor, ndim: int = 2,
                     layout: str = '[N, C]') -> None:
    """Student and teacher logits must be floating tensors of one shape."""
    if not (torch.is_tensor(student) and torch.is_tensor(teacher)):
        raise TypeError('student and teacher logits must be tensors, got '
                        f'{type(student).__name__} and '
                        f'{type(teacher).__name__}')
    if student.dim() != ndim or teacher.shape != student.shape:
        raise ValueError(f'expected student and teacher logits of one shape '
                         f'{layout}, got student {tuple(student.shape)} and '
                         f'teacher {tuple(teacher.shape)}')
    if not (student.is_floating_point() and teacher.is_floating_point()):
        raise TypeError('logits must be floating point, got '
                        f'{student.dtype} and {teacher.dtype}')


def check_target(target: Optional[Tensor], num_rows: int, num_classes: int,
                 required: bool, owner: str) -> Optional[Tensor]:
    """Validate ``[N]`` integer class indices in ``[0, C)``.

    Shape and dtype are checked on the host (metadata, free). The range needs
    the values, so it is a device-side assert (``torch._assert_async``) and
    never a host read: on CUDA it costs no synchronisation, and a bad index
    stops the run with a device-side assert at the next synchronisation (set
    ``MMLOGITKD_EAGER_CHECKS=1``, or run the batch on CPU, for the message).
    On CPU the same assert raises at once, turned into a ``ValueError`` that
    names the range and the indices found.

    Returns:
        Tensor | None: ``target`` as int64, or None.
    """
    if target is None:
        if required:
            raise ValueError(f'{owner} needs `target` ([N] class indices), '
                             'got None')
        return None
    if not torch.is_tensor(target) or target.shape != (num_rows, ):
        shape = tuple(target.shape) if torch.is_tensor(target) else target
        raise ValueError(f'{owner}: target must have shape [N] = '
                         f'({num_rows},), got {shape}')
    if target.is_floating_point() or target.is_complex() or \
            target.dtype == torch.bool:
        raise ValueError(f'{owner}: target must hold integer class indices, '
                         f'got dtype {target.dtype}')
    message = (f'{owner}: target indices must lie in [0, {num_classes}) for '
               f'C = {num_classes} classes')
    in_range = target.ge(0).logical_and_(target.lt(num_classes)).all()
    if EAGER_CHECKS or in_range.device.type not in _ASYNC_ASSERT_DEVICES:
        # debug switch, or a device without the async assert: one host read
        in_range = in_range.cpu()
    try:
        torch._assert_async(in_range, message)
    except RuntimeError:
        # only host (CPU) tensors get here, so reading them is no sync
        raise ValueError(f'{message}, got [{int(target.min())}, '
                         f'{int(target.max())}]') from None
    return target.long()


def weight_reduce_loss(loss: Tensor,
                       weight: Optional[Tensor] = None,
                       reduction: str = 'mean',
                       avg_factor: Optional[float] = None) -> Tensor:
    """Apply per-row ``weight`` then reduce ``[N]`` losses (mmdet semantics).

    Args:
        loss (Tensor): ``[N]`` per-row losses.
        weight (Tensor, optional): ``[N]`` per-row weights.
        reduction (str): ``'none'`` (``[N]``), ``'mean'`` or ``'sum'``.
        avg_factor (float, optional): With ``'mean'``, divide the sum by this
            instead of N (e.g. the number of positive RoIs).

    Returns:
        Tensor: ``[N]`` for ``'none'``, else a scalar. An empty batch gives a
        zero that is still attached to the graph.
    """
    if weight is not None:
        if weight.shape != loss.shape:
            raise ValueError(f'weight must have shape [N] = '
                             f'{tuple(loss.shape)}, got '
                             f'{tuple(weight.shape)}')
        loss = loss * weight.to(loss.dtype)
    if reduction == 'none':
        return loss
    if reduction == 'sum':
        if avg_factor is not None:
            raise ValueError('avg_factor can not be used with reduction '
                             '"sum"')
        return loss.sum()
    if avg_factor is not None:
        # the same epsilon as mmdet, so an avg_factor of 0 gives 0, not nan
        return loss.sum() / (avg_factor + torch.finfo(loss.dtype).eps)
    return loss.mean() if loss.numel() else loss.sum()
