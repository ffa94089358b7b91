# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The host-read detector itself: it catches each kind of device -> host
read on a small function, forward or backward, and passes sync-free work."""
import pytest
import torch

from mmlogitkd.testing import HostRead, host_reads
from mmlogitkd.testing.host_reads import READ_OPS


def _mask_assign(x):
    x = x.clone()
    x[x > 0] = 0
    return x


def _mask_accumulate(x):
    return x.index_put((x > 0, ), torch.tensor(1.0), accumulate=True)


#: (id, a function of a float tensor x of shape [5] that reads the device)
READS = [
    ('item', lambda x: x.sum().item()),
    ('float', lambda x: float(x.sum())),
    ('int', lambda x: int(x.argmax())),
    ('bool', lambda x: bool(x.any())),
    ('if', lambda x: 1 if (x > 0).any() else 0),
    ('index', lambda x: [0, 1, 2][x.argmax().clamp(max=2)]),
    ('format', lambda x: f'{x.sum():.3f}'),
    ('tolist', lambda x: x.tolist()),
    ('cpu', lambda x: x.cpu()),
    ('nonzero', lambda x: x.nonzero()),
    ('where_one_arg', lambda x: torch.where(x > 0)),
    ('argwhere', lambda x: torch.argwhere(x)),
    ('mask', lambda x: x[x > 0]),
    ('index_put_mask', _mask_assign),
    ('index_put_accumulate_mask', _mask_accumulate),
    ('masked_select', lambda x: x.masked_select(x > 0)),
    ('unique', lambda x: torch.unique(x)),
    ('unique_unsorted', lambda x: x.unique(sorted=False)),
    ('unique_dim', lambda x: torch.unique(x[None], dim=1)),
    ('unique_consecutive', lambda x: torch.unique_consecutive(x)),
    ('unique_consecutive_dim',
     lambda x: torch.unique_consecutive(x[None], dim=1)),
    ('bincount', lambda x: torch.bincount(x.argsort())),
    ('equal', lambda x: torch.equal(x, x)),
    ('is_nonzero', lambda x: x[:1].is_nonzero()),
    ('repeat_interleave',
     lambda x: x.repeat_interleave(torch.ones(len(x), dtype=torch.long))),
]


@pytest.mark.parametrize('sync', [f for _, f in READS],
                         ids=[name for name, _ in READS])
def test_catches_host_reads(sync):
    x = torch.randn(5)
    with pytest.raises(HostRead):
        with host_reads():
            sync(x)


def test_every_read_op_is_caught_by_a_case():
    """Each ATen op of the table is met by at least one case above, so none
    of them is listed without being checked (the composite ones decompose
    into others of the table first)."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Seen(TorchDispatchMode):

        def __init__(self):
            super().__init__()
            self.ops = set()

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.ops.add(func)
            return func(*args, **(kwargs or {}))

    seen = Seen()
    with seen:
        for _, sync in READS:
            sync(torch.randn(5))
    unseen = {
        op
        for op in set(READ_OPS) - seen.ops
        if not torch._C._dispatch_has_kernel_for_dispatch_key(
            op.name(), 'CompositeImplicitAutograd')
    }
    assert unseen == set()


def test_catches_reads_in_backward():

    class SyncingBackward(torch.autograd.Function):

        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2 if grad.sum() > 0 else grad

    x = torch.randn(4, requires_grad=True)
    with pytest.raises(HostRead):
        with host_reads():
            SyncingBackward.apply(x).sum().backward()


def test_allows_device_side_work_and_restores_tensor():
    x = torch.randn(6, 4)
    with host_reads() as reads:
        # everything a sync-free loss does: math, sorting, gathers, masks as
        # values, device-side asserts, repeat_interleave of an int
        y = torch.where(x > 0, x, 0).sort(1).values.cumsum(1)
        torch._assert_async((y == y).all(), 'finite')
        x.repeat_interleave(3, dim=0)
        x.masked_fill(x > 1, 0).topk(2, dim=1)
    assert reads == []
    assert x.tolist() and x.cpu() is x  # the patches are gone
    with host_reads(limit=None) as reads:
        x.sum().item()
        bool(x.any())
    assert len(reads) == 2


def test_allows_integer_indexing_and_sized_outputs():
    x = torch.randn(6, 4)
    with host_reads() as reads:
        # repeat_interleave told its output size, integer (not mask)
        # indexing and assignment, counts kept as tensors
        x.repeat_interleave(torch.full((6, ), 2), dim=0, output_size=12)
        x[torch.arange(3), torch.tensor([0, 2, 1])]
        x.clone().index_put_((torch.tensor([1, 2]), ), torch.zeros(4))
        x.gather(1, x.argmax(1, keepdim=True))
        (x > 0).sum()
        x.numpy()  # only CPU tensors allow it: never hides a device sync
    assert reads == []


def test_counts_and_limits():
    with pytest.raises(HostRead, match=r'#3 \(limit 2\)'):
        with host_reads(limit=2):
            for _ in range(3):
                torch.ones(1).item()


def test_counting_only_calls_through():
    """With ``limit=None`` (gpu_check.py's count) the wrapped methods count
    and still return their values."""
    x = torch.arange(3.)
    with host_reads(limit=None) as reads:
        assert x.tolist() == [0., 1., 2.]
        assert x.cpu() is x
        assert x[x > 0].tolist() == [1., 2.]
    assert len(reads) == 4
    assert reads[0] == 'Tensor.tolist() reads the device'
    assert 'boolean-mask' in reads[2]
