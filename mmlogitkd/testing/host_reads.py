# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The host-read detector: device -> host reads of tensor values, seen on
any device, CPU included.

A GPU waits for the host whenever a value is read back: ``.item()``,
``int()`` / ``float()`` / ``bool()`` of a tensor (a Python ``if`` on a
tensor, an f-string format), using a tensor as an index, ``.tolist()``,
``.cpu()``, and ops whose output size depends on the values (``nonzero``,
boolean-mask indexing and assignment, ``masked_select``, ``unique``,
``bincount``, ``repeat_interleave`` with a tensor of repeats and no
``output_size``, ``torch.equal``).

All of the reads that reach ATen end in one of a few ops (the scalar reads
in ``aten._local_scalar_dense``), which a ``TorchDispatchMode`` sees in the
forward and the backward alike, on CPU tensors exactly as they would sync on
CUDA. ``Tensor.tolist`` and ``Tensor.cpu`` do not reach ATen on a CPU
tensor, so :func:`host_reads` wraps those two methods while it is active.
numpy conversion is not counted: only CPU tensors allow it (a CUDA tensor
raises), so it can never hide a device sync.

Used by the sync tests of the losses (``tests/test_losses/``) and by
``tools/analysis/gpu_check.py``; the detector's own tests are in
``tests/test_testing/test_host_reads.py``.
"""
import contextlib
from typing import List, Optional

import torch
from torch.utils._python_dispatch import TorchDispatchMode

aten = torch.ops.aten

#: ops that read values back to the host or size their output from them
#: (``argwhere`` and ``is_nonzero`` decompose into ``nonzero`` and
#: ``_local_scalar_dense`` before a dispatch mode sees them; listed all the
#: same, in case a backend keeps them whole)
READ_OPS = {
    aten._local_scalar_dense.default: 'a scalar read (.item(), int(), '
    'float(), bool(), an `if` on a tensor)',
    aten.nonzero.default: 'nonzero',
    aten.argwhere.default: 'argwhere',
    aten.masked_select.default: 'masked_select',
    aten._unique2.default: 'unique',
    aten.unique_consecutive.default: 'unique_consecutive',
    aten.unique_dim.default: 'unique(dim=...)',
    aten.equal.default: 'torch.equal',
    aten.is_nonzero.default: 'is_nonzero',
    aten.bincount.default: 'bincount',
}
#: index ops that read the device when given a boolean mask (it becomes a
#: nonzero)
MASK_INDEX_OPS = {
    aten.index.Tensor, aten.index_put.default, aten.index_put_.default,
    aten._index_put_impl_.default
}
#: Tensor methods that read values without an ATen op on a CPU tensor
READ_METHODS = ('tolist', 'cpu')


class HostRead(RuntimeError):
    """A value was read back to the host inside a guarded call."""


def describe_read(func, args, kwargs) -> Optional[str]:
    """What host read the ATen call ``func(*args, **kwargs)`` makes, or
    None if it makes none."""
    if func in READ_OPS:
        return READ_OPS[func]
    if func in MASK_INDEX_OPS:
        indices = args[1] if len(args) > 1 else kwargs.get('indices', ())
        if any(torch.is_tensor(i) and i.dtype in (torch.bool, torch.uint8)
               for i in indices if i is not None):
            return f'boolean-mask indexing ({func})'
    if func is aten.repeat_interleave.Tensor and \
            kwargs.get('output_size') is None:
        return 'repeat_interleave with tensor repeats and no output_size'
    return None


class HostReadCounter(TorchDispatchMode):
    """Records every host read of the ATen ops run under it.

    Args:
        limit (int, optional): raise :class:`HostRead` at the first read
            past this many; None only counts.
    """

    def __init__(self, limit: Optional[int] = None):
        super().__init__()
        self.limit = limit
        self.reads: List[str] = []

    def record(self, what: str) -> None:
        self.reads.append(what)
        if self.limit is not None and len(self.reads) > self.limit:
            raise HostRead(f'host read #{len(self.reads)} (limit '
                           f'{self.limit}): {what}')

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        what = describe_read(func, args, kwargs)
        if what is not None:
            self.record(what)
        return func(*args, **kwargs)


@contextlib.contextmanager
def host_reads(limit: Optional[int] = 0):
    """Count host reads in the block (forward and backward alike); raise
    :class:`HostRead` at the first one past ``limit`` (None: only count).

    Yields the list of reads, one description each; it is complete when
    the block ends.
    """
    counter = HostReadCounter(limit)

    def counted(name, method):

        def wrapper(self, *args, **kwargs):
            counter.record(f'Tensor.{name}() reads the device')
            return method(self, *args, **kwargs)

        return wrapper

    patched = {name: getattr(torch.Tensor, name) for name in READ_METHODS}
    try:
        for name, method in patched.items():
            setattr(torch.Tensor, name, counted(name, method))
        with counter:
            yield counter.reads
    finally:
        for name, method in patched.items():
            setattr(torch.Tensor, name, method)
