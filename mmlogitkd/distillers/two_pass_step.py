# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The two backward passes of a training step whose optimizer keeps the
distillation gradient apart from the task gradient
(:class:`mmlogitkd.engine.DOT`), as mdistiller's ``DOT`` trainer runs them
(``mdistiller/engine/trainer.py``, ``DOT.train_iter``)."""
from typing import Callable, Dict, List, Optional, Tuple, Union

import torch
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from torch.optim import Optimizer

__all__ = ['DISTILL_PREFIX', 'check_wrapper', 'is_two_pass', 'split_losses',
           'two_pass_backward']

#: the name prefix of the distillation terms among a distiller's losses
DISTILL_PREFIX = 'loss_distill_'


def is_two_pass(optimizer: Optimizer) -> bool:
    """Whether ``optimizer`` takes the distillation gradient apart, as
    :class:`mmlogitkd.engine.DOT`: it has ``step_kd()`` (and
    ``kd_grads()``, ``discard_kd()``). The distillers may not import the
    optimizer (DESIGN.md's floors), so it is recognised by what it does."""
    return callable(getattr(optimizer, 'step_kd', None))


def split_losses(
    losses: Dict[str, Union[torch.Tensor, List[torch.Tensor]]]
) -> Tuple[torch.Tensor, torch.Tensor]:
    """The distillation terms (``loss_distill_*``) and the task losses,
    each summed as mmengine's ``parse_losses`` sums all of them (a tensor's
    mean, a list's sum of means; only names containing ``loss``).

    Returns:
        tuple[Tensor, Tensor]: Scalars ``(distill, task)``.
    """
    distill, task = [], []
    for name, value in losses.items():
        if 'loss' not in name:
            continue
        value = (value.mean() if torch.is_tensor(value) else sum(
            v.mean() for v in value))
        (distill if name.startswith(DISTILL_PREFIX) else task).append(value)
    if not distill or not task:
        raise ValueError(
            'DOT updates with a distillation gradient and a task gradient; '
            f'this step has {"no" if not distill else "only"} '
            f'{DISTILL_PREFIX}* terms: {sorted(losses)}')
    return sum(distill), sum(task)


def check_wrapper(optim_wrapper: OptimWrapper) -> None:
    """Refuse what the two passes cannot do right: AMP (one loss scaler
    unscales one gradient set per step), gradient accumulation (the two
    sets would have to be accumulated apart) and gradient clipping (it
    would clip the task gradient alone); the official DOT has none."""
    name = type(optim_wrapper.optimizer).__name__
    if isinstance(optim_wrapper, AmpOptimWrapper):
        raise ValueError(
            f'{name} cannot train under {type(optim_wrapper).__name__}: it '
            'runs two backward passes a step, and the loss scaler unscales '
            'and checks one set of gradients per step. Use '
            "optim_wrapper.type='OptimWrapper' (float32, as the official "
            'DOT).')
    counts = getattr(optim_wrapper, '_accumulative_counts', 1)
    if counts != 1:
        raise ValueError(
            f'{name} cannot accumulate gradients '
            f'(optim_wrapper.accumulative_counts={counts}): its '
            'distillation and task gradients would have to be accumulated '
            'apart. Use a larger batch, or accumulative_counts=1.')
    if optim_wrapper.clip_grad_kwargs:
        raise ValueError(
            f'{name} has two gradients a step and optim_wrapper.clip_grad '
            '(mmengine clips the one in param.grad, the task gradient) '
            'would clip one of them only; remove optim_wrapper.clip_grad.')


def two_pass_backward(
        losses: Dict[str, Union[torch.Tensor, List[torch.Tensor]]],
        optim_wrapper: OptimWrapper,
        grad_sync: Optional[Callable[[], None]] = None
) -> List[torch.Tensor]:
    """The distillation terms' backward pass, ``step_kd()``, then the task
    losses' backward pass, as the official ``DOT`` trainer runs them; the
    parameters are not updated (``step_kd`` only keeps the gradients).

    The student runs forward once: the first pass keeps the graph
    (``retain_graph``) for the second. ``optim_wrapper`` is one that
    :func:`check_wrapper` accepts (the distiller checks it before the
    forward pass). ``grad_sync``, when given, runs after each backward
    pass, before the optimizer reads ``param.grad``: a distributed run's
    averaging of each gradient set over the ranks
    (:class:`~mmlogitkd.distillers.TwoPassDistributedDataParallel`).

    Returns:
        list[Tensor]: The distillation gradients the optimizer keeps for
        its ``step()``, beside the task gradients in ``param.grad``.
    """
    distill, task = split_losses(losses)
    optimizer = optim_wrapper.optimizer
    optimizer.zero_grad(set_to_none=True)
    if distill.requires_grad:
        distill.backward(retain_graph=True)
    if grad_sync is not None:
        grad_sync()
    optimizer.step_kd()
    optimizer.zero_grad(set_to_none=True)
    # counts the step once (accumulative_counts is 1: no loss scaling)
    optim_wrapper.backward(task)
    if grad_sync is not None:
        grad_sync()
    return optimizer.kd_grads()
