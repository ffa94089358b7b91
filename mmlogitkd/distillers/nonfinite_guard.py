# Copyright (c) mmlogitkd contributors. All rights reserved.
"""A training step never updates the weights from a non-finite loss or
gradient: it stops the run (``nonfinite_loss='raise'``) or skips the
iteration (``'skip'``), at the cost of one host read per step."""
import logging
import math
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.logging import MessageHub, print_log
from mmengine.model import BaseModel
from mmengine.optim import AmpOptimWrapper, OptimWrapper

__all__ = ['NONFINITE_MODES', 'NonFiniteGuard']

#: what a guarded training step does with a non-finite loss
NONFINITE_MODES = ('raise', 'skip')


class NonFiniteGuard:
    """mmengine's training step (preprocess, forward, parse the losses,
    backward, optimizer step) with a check between the backward pass and
    the optimizer step.

    One host read fetches every logged value and whether every gradient is
    finite: the values mmengine's logger reads one by one after the step
    anyway (they are returned as host tensors, whose reads cost nothing),
    so the check adds no synchronisation; the step only waits for the
    backward pass. Gradient accumulation is kept: a skipped iteration drops
    the gradients accumulated so far in its window.

    Args:
        mode (str): ``'raise'``: a ``FloatingPointError`` naming the
            iteration, the losses and the last checkpoint. ``'skip'``: the
            gradients are zeroed, the buffers (BN statistics) of the
            guarded module restored, no optimizer step; a warning, and the
            count logged as ``skipped_nonfinite``.
    """

    def __init__(self, mode: str = 'raise') -> None:
        if mode not in NONFINITE_MODES:
            raise ValueError(f'nonfinite_loss must be one of '
                             f'{NONFINITE_MODES}, got {mode!r}')
        self.mode = mode
        self.skipped = 0
        self._in_step = False
        self._snapshot: Optional[List[torch.Tensor]] = None

    def train_step(self, model: BaseModel, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper,
                   buffers_of: nn.Module) -> Dict[str, torch.Tensor]:
        """``model``'s training step, guarded; ``buffers_of`` is the module
        whose buffers a skipped step restores (the student)."""
        skip = self.mode == 'skip'
        if skip:
            self._snapshot_buffers(buffers_of)
        with optim_wrapper.optim_context(model):
            data = model.data_preprocessor(data, True)
            losses = model._run_forward(data, mode='loss')
        self._in_step = True
        try:
            parsed_loss, log_vars = model.parse_losses(losses)
        finally:
            self._in_step = False
        optim_wrapper.backward(optim_wrapper.scale_loss(parsed_loss))
        update = optim_wrapper.should_update()
        # AMP's loss scaler finds inf gradients and skips the step itself
        check_grads = update and not isinstance(optim_wrapper,
                                                AmpOptimWrapper)
        log_vars, grads_finite = _read_back(
            log_vars, optim_wrapper if check_grads else None)
        problems = _nonfinite_losses(log_vars)
        if not grads_finite:
            problems.append('gradients')
        if problems:
            if not skip:
                raise FloatingPointError(_message(problems))
            optim_wrapper.zero_grad()
            self._restore_buffers(buffers_of)
            self.skipped += 1
            print_log(
                f'Skipped {_where()}, non-finite: {", ".join(problems)} '
                f'(nonfinite_loss="skip"; {self.skipped} iteration(s) '
                'skipped so far).',
                logger='current',
                level=logging.WARNING)
            return _host_tensors(dict(skipped_nonfinite=self.skipped))
        if update:
            optim_wrapper.step()
            optim_wrapper.zero_grad()
        if skip:
            log_vars['skipped_nonfinite'] = self.skipped
        return _host_tensors(log_vars)

    def parse_losses(
        self, parsed: Tuple[torch.Tensor, Dict[str, torch.Tensor]]
    ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """mmengine's parsed ``(loss, log_vars)``, checked when they come
        from a distributed wrapper's ``train_step`` (not ours): a
        non-finite loss stops the run before the wrapper's backward pass
        and step (a step cannot be skipped on one rank alone)."""
        loss, log_vars = parsed
        if self._in_step:
            return loss, log_vars
        log_vars, _ = _read_back(log_vars, None)
        problems = _nonfinite_losses(log_vars)
        if problems:
            note = (' nonfinite_loss="skip" cannot skip a step under a '
                    'distributed wrapper, whose train_step steps every rank.'
                    if self.mode == 'skip' else '')
            raise FloatingPointError(_message(problems) + note)
        return loss, _host_tensors(log_vars)

    def _snapshot_buffers(self, module: nn.Module) -> None:
        """Copy the buffers (BN statistics), which a forward pass on
        non-finite activations corrupts before any loss is seen."""
        buffers = list(module.buffers())
        snapshot = self._snapshot
        if snapshot is None or len(snapshot) != len(buffers) or any(
                a.shape != b.shape or a.dtype != b.dtype
                or a.device != b.device for a, b in zip(snapshot, buffers)):
            self._snapshot = [b.detach().clone() for b in buffers]
        elif buffers:
            torch._foreach_copy_(snapshot, [b.detach() for b in buffers])

    @torch.no_grad()
    def _restore_buffers(self, module: nn.Module) -> None:
        buffers = list(module.buffers())
        if self._snapshot is not None and buffers:
            torch._foreach_copy_(buffers, self._snapshot)


def _read_back(log_vars: Dict[str, torch.Tensor],
               optim_wrapper: Optional[OptimWrapper]
               ) -> Tuple['OrderedDict[str, float]', bool]:
    """The logged values as floats and whether every gradient of the
    optimizer is finite (True without ``optim_wrapper``), in one host
    read."""
    tensors = [v for v in log_vars.values() if torch.is_tensor(v)]
    device = tensors[0].device if tensors else torch.device('cpu')
    values = [
        v.detach().float().reshape(()) if torch.is_tensor(v) else
        torch.tensor(float(v), device=device) for v in log_vars.values()
    ]
    grads = [] if optim_wrapper is None else [
        p.grad for group in optim_wrapper.optimizer.param_groups
        for p in group['params'] if p.grad is not None
    ]
    if grads:
        try:
            # max |g| per tensor: finite iff the tensor is, no overflow
            peaks = torch._foreach_norm(grads, ord=math.inf)
            finite = torch.stack([p.float().to(device)
                                  for p in peaks]).isfinite().all()
        except (RuntimeError, TypeError, NotImplementedError):
            finite = torch.stack([
                torch.isfinite(g).all().to(device) for g in grads
                if not g.is_sparse
            ]).all()
        values.append(finite.float())
    host = torch.stack(values).tolist() if values else []
    grads_finite = bool(host.pop()) if grads else True
    return OrderedDict(zip(log_vars, host)), grads_finite


def _host_tensors(
        values: Dict[str, float]) -> 'OrderedDict[str, torch.Tensor]':
    """Logged values already read back, as CPU scalar tensors (what a
    ``train_step`` returns to the logger)."""
    return OrderedDict(
        (key, torch.tensor(float(value))) for key, value in values.items())


def _nonfinite_losses(log_vars: Dict[str, float]) -> List[str]:
    """The names of the non-finite losses; the total ``loss`` only when no
    single term is to blame (an overflowing sum)."""
    bad = [
        name for name, value in log_vars.items()
        if 'loss' in name and not math.isfinite(value)
    ]
    terms = [name for name in bad if name != 'loss']
    return terms or bad


def _where() -> str:
    """The iteration (1-based) and epoch of the message hub."""
    hub = MessageHub.get_current_instance()
    it, epoch = hub.get_info('iter'), hub.get_info('epoch')
    if it is None:
        return 'a training step outside a runner'
    where = f'iteration {it + 1}'
    return where if epoch is None else f'{where} (epoch {epoch + 1})'


def _message(problems: List[str]) -> str:
    ckpt = MessageHub.get_current_instance().get_info('last_ckpt')
    return (f'Non-finite values at {_where()}: {", ".join(problems)}. '
            'The weights were not updated with them. Last checkpoint: '
            f'{ckpt or "none yet"}. Lower the learning rate or the loss '
            'weights, check the data and the teacher, or set '
            'model.nonfinite_loss="skip" to skip such iterations.')
