# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Launching a run: a gloo process group for ``torchrun`` without GPUs, and
a clean end of a launched tool's process."""
import logging
import os
import sys
from typing import Callable

import torch.distributed as dist
from mmengine.config import Config

__all__ = ['init_cpu_distributed', 'run_launched_main']


def init_cpu_distributed(cfg: Config) -> None:
    """Start a gloo process group for ``torchrun`` without GPUs.

    NCCL needs GPUs, mmengine's ``init_dist`` calls
    ``torch.cuda.set_device`` and its default DDP wrapper passes a GPU
    ``device_ids``; with the group already up and CPU DDP arguments, the
    Runner trains data-parallel on CPU processes.
    """
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    cfg.env_cfg.dist_cfg['backend'] = 'gloo'
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel',
            device_ids=None,
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    if cfg.launcher == 'pytorch' and not dist.is_initialized():
        dist.init_process_group(backend='gloo', init_method='env://')


def run_launched_main(main: Callable[[], object],
                      exit_process: Callable[[int], None] = os._exit
                      ) -> None:
    """Run a launched tool's ``main`` and end its process cleanly.

    The default process group is destroyed when ``main`` returns or raises,
    as PyTorch asks of every trainer process. A distributed run that
    succeeded then ends with ``exit_process(0)`` (``os._exit``) after
    flushing the logs and the standard streams, skipping interpreter
    finalisation: on this project's CPU machine about one 2-rank
    ``tools/dist_train.sh`` run in eight aborted there, after its last
    checkpoint was written ("terminate called without an active
    exception", SIGABRT, no Python frame on the stack, with or without the
    group destroyed), and the launcher reported the run as failed; 0 of 46
    with this exit. Single-process runs and failures exit as usual.
    """
    distributed = False
    try:
        main()
        distributed = dist.is_available() and dist.is_initialized()
    finally:
        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
    if distributed:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        exit_process(0)
