# Copyright (c) mmlogitkd contributors. All rights reserved.
"""DOT on two CPU ranks (gloo) under TwoPassDistributedDataParallel: every
rank takes the same step, and with ``delta=0`` it is mmengine's
MMDistributedDataParallel with SGD on the summed losses, over both ranks'
batches (float64)."""
import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from .test_dot import (
    LR,
    MOMENTUM,
    WEIGHT_DECAY,
    build,
    dot_wrapper,
    make_batch,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not dist.is_available(),
                       reason='torch.distributed not built')
]
WORLD = 2
STEPS = 3


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _worker(rank, port, out, mode, delta):
    """One rank: the float64 KD distiller of test_dot (the same weights on
    every rank), STEPS steps on this rank's own batches."""
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group('gloo', rank=rank, world_size=WORLD)
    try:
        from mmengine.model import MMDistributedDataParallel
        from mmengine.optim import OptimWrapper

        from mmlogitkd.distillers import TwoPassDistributedDataParallel
        model = build('kd')
        if mode == 'dot':
            wrapped = TwoPassDistributedDataParallel(module=model)
            optim_wrapper = dot_wrapper(model, delta=delta)
        else:
            wrapped = MMDistributedDataParallel(module=model)
            optim_wrapper = OptimWrapper(
                torch.optim.SGD(model.student.parameters(), lr=LR,
                                momentum=MOMENTUM,
                                weight_decay=WEIGHT_DECAY))
        for step in range(STEPS):
            wrapped.train_step(make_batch(seed=100 * step + rank),
                               optim_wrapper)
        torch.save(model.student.state_dict(),
                   os.path.join(out, f'{mode}_{delta}_{rank}.pth'))
    finally:
        dist.destroy_process_group()


def _run(tmp_path, mode, delta=0.):
    mp.spawn(_worker, args=(_free_port(), str(tmp_path), mode, delta),
             nprocs=WORLD, join=True)
    return [
        torch.load(tmp_path / f'{mode}_{delta}_{rank}.pth', map_location='cpu')
        for rank in range(WORLD)
    ]


def test_dot_on_two_ranks(tmp_path):
    dot = _run(tmp_path, 'dot', delta=0.075)
    # one step on every rank: the same weights and batch-norm statistics
    # (each rank's own batches, yet trained from the same averaged grads)
    for key, value in dot[0].items():
        if key.endswith(('running_mean', 'running_var')):
            continue  # each rank's own statistics, as under DDP
        assert torch.equal(value, dot[1][key]), key

    # delta=0: DDP SGD on the summed losses, averaged over both ranks
    dot0 = _run(tmp_path, 'dot', delta=0.)
    sgd = _run(tmp_path, 'sgd')
    moved = False
    for key, value in dot0[0].items():
        if key.endswith('num_batches_tracked'):
            continue
        torch.testing.assert_close(value, sgd[0][key], rtol=1e-12,
                                   atol=1e-14, msg=key)
        moved |= not torch.equal(value, dot[0][key])
    assert moved  # delta matters: the test can tell DOT from SGD
