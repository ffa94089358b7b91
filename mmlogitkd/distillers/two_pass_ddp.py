# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Distributed training with an optimizer that keeps the distillation
gradient apart from the task gradient (:class:`mmlogitkd.engine.DOT`)."""
from typing import Dict, Union

import torch
import torch.distributed as dist
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper
from torch._utils import _flatten_dense_tensors, _unflatten_dense_tensors

from mmlogitkd.registry import MODEL_WRAPPERS
from .two_pass_step import is_two_pass

__all__ = ['TwoPassDistributedDataParallel']


@MODEL_WRAPPERS.register_module()
class TwoPassDistributedDataParallel(MMDistributedDataParallel):
    """mmengine's ``MMDistributedDataParallel`` that trains a distiller with
    DOT on every rank: each gradient set averaged over the ranks.

    ``MMDistributedDataParallel.train_step`` runs one backward pass of the
    summed loss, whose gradient DDP averages as it is computed; DOT needs
    two (the ``loss_distill_*`` terms, ``step_kd()``, the task losses,
    ``step()``: :func:`~.two_pass_step.two_pass_backward`). With a DOT
    optimizer this wrapper runs the distiller's own ``train_step`` on the
    wrapped module, whose forward pass is not DDP's (DDP's gradient hooks
    stay idle), and averages ``param.grad`` over the ranks after each of
    the two backward passes: the gradients divided by the world size, then
    summed by one ``all_reduce`` of their concatenation (DDP's default
    reduction, without its overlap with the backward pass). Every rank
    then holds the same two gradient sets and takes the same step. With
    any other optimizer it is ``MMDistributedDataParallel``.

    Put it in a DOT config::

        model_wrapper_cfg = dict(type='mmlogitkd.TwoPassDistributedDataParallel')

    (``tools/dist_train.sh``; one-process runs do not wrap the model).
    ``model.nonfinite_loss='skip'`` is refused: a rank whose loss is not
    finite would skip a step the others take. As under
    ``MMDistributedDataParallel`` (``broadcast_buffers=False``, mmengine's
    default), each rank keeps its own batch-norm statistics; the checkpoint
    holds rank 0's.
    """

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        if not (isinstance(optim_wrapper, OptimWrapper)
                and is_two_pass(optim_wrapper.optimizer)):
            return super().train_step(data, optim_wrapper)
        guard = getattr(self.module, 'nonfinite_guard', None)
        if guard is None:
            raise TypeError(
                f'{type(self).__name__} runs the two backward passes of a '
                "mmlogitkd distiller's train_step; "
                f'{type(self.module).__name__} is not one.')
        if guard.mode == 'skip':
            raise ValueError(
                'model.nonfinite_loss="skip" cannot train with '
                f'{type(optim_wrapper.optimizer).__name__} on several '
                'ranks: a rank whose loss is not finite would skip a step '
                'that the others take. Use nonfinite_loss="raise".')
        return self.module.train_step(
            data, optim_wrapper, grad_sync=self.average_gradients)

    def average_gradients(self) -> None:
        """``param.grad`` of every parameter that has one, averaged over
        the ranks in place (one ``all_reduce``). Every rank has gradients
        for the same parameters: one model, one graph."""
        grads = [
            p.grad for p in self.module.parameters()
            if p.requires_grad and p.grad is not None
        ]
        if not grads:
            return
        flat = _flatten_dense_tensors(grads)
        flat.div_(dist.get_world_size())
        dist.all_reduce(flat)
        for grad, synced in zip(grads,
                                _unflatten_dense_tensors(flat, grads)):
            grad.copy_(synced)
