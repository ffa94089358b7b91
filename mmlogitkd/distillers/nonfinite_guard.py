# Copyright (c) mmlogitkd contributors. All rights reserved.
"""A training step never updates the weights from a non-finite loss or
gradient: it stops the run (``nonfinite_loss='raise'``) or skips the
iteration (``'skip'``), at the cost of one host read per step."""
import logging
import math
from collections import OrderedDict, deque
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.logging import MessageHub, print_log
from mmengine.model import BaseModel
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from .two_pass_step import is_two_pass, two_pass_backward

__all__ = ['NONFINITE_MODES', 'NonFiniteGuard', 'SkipBound',
           'DEFAULT_MAX_SKIPS']

#: what a guarded training step does with a non-finite loss
NONFINITE_MODES = ('raise', 'skip')

#: the default bound of ``nonfinite_loss='skip'`` (:class:`SkipBound`):
#: far above a healthy run's rare spikes
DEFAULT_MAX_SKIPS = dict(consecutive=10, share=0.25, window=100)


class NonFiniteGuard:
    """mmengine's training step (preprocess, forward, parse the losses,
    backward, optimizer step) with a check between the backward pass and
    the optimizer step.

    One host read fetches every logged value and whether every gradient is
    finite: the values mmengine's logger reads one by one after the step
    anyway (they are returned as host tensors, whose reads cost nothing),
    so the check adds no synchronisation; the step only waits for the
    backward pass. Gradient accumulation is kept: a skipped iteration drops
    the gradients accumulated so far in its window. With an optimizer that
    keeps the distillation gradient apart (DOT), both backward passes run
    first and both gradient sets are checked, in the same host read,
    before either updates the weights.

    Args:
        mode (str): ``'raise'``: a ``FloatingPointError`` naming the
            iteration, the losses and the last checkpoint. ``'skip'``: the
            gradients are zeroed, the buffers (BN statistics) of the
            guarded module restored, no optimizer step; a warning, and the
            count logged as ``skipped_nonfinite``.
        max_skips (dict, optional): With ``'skip'``, the
            :class:`SkipBound` (its arguments; missing ones are
            :data:`DEFAULT_MAX_SKIPS`'), past which the run stops as
            ``'raise'`` does. None: no bound.
    """

    def __init__(self,
                 mode: str = 'raise',
                 max_skips: Optional[dict] = DEFAULT_MAX_SKIPS) -> None:
        if mode not in NONFINITE_MODES:
            raise ValueError(f'nonfinite_loss must be one of '
                             f'{NONFINITE_MODES}, got {mode!r}')
        self.mode = mode
        self.skipped = 0
        self.skip_bound = SkipBound.from_cfg(max_skips)
        self._in_step = False
        self._snapshot: Optional[List[torch.Tensor]] = None

    def train_step(
            self,
            model: BaseModel,
            data: Union[dict, tuple, list],
            optim_wrapper: OptimWrapper,
            buffers_of: nn.Module,
            grad_sync: Optional[Callable[[], None]] = None
    ) -> Dict[str, torch.Tensor]:
        """``model``'s training step, guarded; ``buffers_of`` is the module
        whose buffers a skipped step restores (the student); ``grad_sync``
        runs after each backward pass of a two-pass step (see
        :func:`~.two_pass_step.two_pass_backward`)."""
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
        held_grads = self._backward(losses, parsed_loss, optim_wrapper,
                                    grad_sync)
        update = optim_wrapper.should_update()
        # AMP's loss scaler finds inf gradients and skips the step itself
        check_grads = update and not isinstance(optim_wrapper,
                                                AmpOptimWrapper)
        log_vars, grads_finite = _read_back(
            log_vars, optim_wrapper if check_grads else None, held_grads)
        problems = _nonfinite_losses(log_vars)
        if not grads_finite:
            problems.append('gradients')
        if problems:
            if not skip:
                raise FloatingPointError(_message(problems))
            optim_wrapper.zero_grad()
            self._drop_held_grads(optim_wrapper)
            self._restore_buffers(buffers_of)
            self.skipped += 1
            print_log(
                f'Skipped {_where()}, non-finite: {", ".join(problems)} '
                f'(nonfinite_loss="skip"; {self.skipped} iteration(s) '
                'skipped so far).',
                logger='current',
                level=logging.WARNING)
            self._count_iteration(skipped=True)
            return _host_tensors(dict(skipped_nonfinite=self.skipped))
        if update:
            optim_wrapper.step()
            optim_wrapper.zero_grad()
        if skip:
            self._count_iteration(skipped=False)
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

    def _backward(
            self,
            losses: Dict[str, torch.Tensor],
            parsed_loss: torch.Tensor,
            optim_wrapper: OptimWrapper,
            grad_sync: Optional[Callable[[], None]] = None
    ) -> List[torch.Tensor]:
        """The backward pass of the summed loss; with an optimizer that
        keeps the distillation gradient apart (``step_kd``, e.g.
        :class:`mmlogitkd.engine.DOT`), the two passes of
        :func:`~.two_pass_step.two_pass_backward`, which update nothing.

        Returns:
            list[Tensor]: Gradients the optimizer holds for its step beside
            ``param.grad`` (the distillation gradients), checked with them.
        """
        if is_two_pass(optim_wrapper.optimizer):
            return two_pass_backward(losses, optim_wrapper, grad_sync)
        optim_wrapper.backward(optim_wrapper.scale_loss(parsed_loss))
        return []

    @staticmethod
    def _drop_held_grads(optim_wrapper: OptimWrapper) -> None:
        """A skipped step also forgets the gradients the optimizer held."""
        if is_two_pass(optim_wrapper.optimizer):
            optim_wrapper.optimizer.discard_kd()

    def _count_iteration(self, skipped: bool) -> None:
        """Count a ``'skip'`` mode iteration (from the skip decision, on
        the host already); past the bound, stop as ``'raise'`` does."""
        if self.skip_bound is None:
            return
        passed = self.skip_bound.record(skipped)
        if passed is not None:
            ckpt = MessageHub.get_current_instance().get_info('last_ckpt')
            raise FloatingPointError(
                f'nonfinite_loss="skip" stopped the run at {_where()}: '
                f'{passed}; model.nonfinite_max_skips='
                f'{self.skip_bound.cfg}; {self.skipped} skipped in all. '
                'The weights were not updated with non-finite values. Last '
                f'checkpoint: {ckpt or "none yet"}. Lower the learning rate '
                'or the loss weights, check the data and the teacher; raise '
                'model.nonfinite_max_skips only if that many skips are '
                'expected.')

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


class SkipBound:
    """How many skipped iterations a ``nonfinite_loss='skip'`` run
    tolerates: a run that skips most of its iterations learns nothing and
    must not end as if it had trained.

    Args:
        consecutive (int, optional): Stop when this many iterations in a
            row were skipped. None: no such bound.
        share (float, optional): Stop when more than this share of the
            last ``window`` iterations were skipped (more than
            ``share * window`` of them; the same count while fewer than
            ``window`` have run). None: no such bound.
        window (int): The iterations ``share`` counts over.
    """

    def __init__(self,
                 consecutive: Optional[int] = DEFAULT_MAX_SKIPS['consecutive'],
                 share: Optional[float] = DEFAULT_MAX_SKIPS['share'],
                 window: int = DEFAULT_MAX_SKIPS['window']) -> None:
        if consecutive is not None and not (isinstance(consecutive, int)
                                            and consecutive >= 1):
            raise ValueError('nonfinite_max_skips: consecutive must be an '
                             f'int >= 1 or None, got {consecutive!r}')
        if share is not None and not (isinstance(share, (int, float))
                                      and 0 < share < 1):
            raise ValueError('nonfinite_max_skips: share must be in (0, 1) '
                             f'or None, got {share!r}')
        if not (isinstance(window, int) and window >= 1):
            raise ValueError('nonfinite_max_skips: window must be an int '
                             f'>= 1, got {window!r}')
        self.cfg = dict(consecutive=consecutive, share=share, window=window)
        self.consecutive = consecutive
        self.max_in_window = None if share is None else share * window
        self.window = window
        self._recent: deque = deque(maxlen=window)
        self.in_window = 0
        self.in_a_row = 0

    @classmethod
    def from_cfg(cls, cfg: Optional[dict]) -> Optional['SkipBound']:
        """The bound of ``nonfinite_max_skips`` (its missing keys are
        :data:`DEFAULT_MAX_SKIPS`'), or None for ``None``."""
        if cfg is None:
            return None
        if not isinstance(cfg, dict):
            raise TypeError('nonfinite_max_skips must be a dict such as '
                            f'{DEFAULT_MAX_SKIPS} or None, got {cfg!r}')
        unknown = set(cfg) - set(DEFAULT_MAX_SKIPS)
        if unknown:
            raise ValueError(f'nonfinite_max_skips: unknown key(s) '
                             f'{sorted(unknown)}; it takes '
                             f'{sorted(DEFAULT_MAX_SKIPS)}')
        return cls(**{**DEFAULT_MAX_SKIPS, **cfg})

    def record(self, skipped: bool) -> Optional[str]:
        """Count one iteration; past a bound, the counts and the bound in
        words, else None."""
        if len(self._recent) == self.window:
            self.in_window -= self._recent[0]
        self._recent.append(bool(skipped))
        self.in_window += bool(skipped)
        self.in_a_row = self.in_a_row + 1 if skipped else 0
        if self.consecutive is not None and self.in_a_row >= self.consecutive:
            bound = f'consecutive={self.consecutive} in a row'
        elif (self.max_in_window is not None
              and self.in_window > self.max_in_window):
            bound = (f'more than share={self.cfg["share"]} of the last '
                     f'window={self.window} iterations')
        else:
            return None
        return (f'{self.in_window} of the last {len(self._recent)} '
                f'iterations skipped, the last {self.in_a_row} in a row '
                f'(bound: {bound})')


def _read_back(log_vars: Dict[str, torch.Tensor],
               optim_wrapper: Optional[OptimWrapper],
               held_grads: Sequence[torch.Tensor] = ()
               ) -> Tuple['OrderedDict[str, float]', bool]:
    """The logged values as floats and whether every gradient of the
    optimizer (those in ``param.grad`` and the ``held_grads`` it keeps for
    its step) is finite (True without ``optim_wrapper``), in one host
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
    ] + list(held_grads)
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
