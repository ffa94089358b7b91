# Copyright (c) mmlogitkd contributors. All rights reserved.
"""DOT, the Distillation-Oriented Trainer (Zhao et al., ICCV 2023)."""
from typing import Callable, List, Optional, Tuple

import torch
from torch import Tensor
from torch.optim.optimizer import Optimizer, required

from mmlogitkd.registry import OPTIMIZERS

__all__ = ['DOT']


@OPTIMIZERS.register_module()
class DOT(Optimizer):
    r"""SGD with one momentum buffer for the distillation gradient and one
    for the task gradient, the first with more momentum than the second.

    A transcription of mdistiller's ``DistillationOrientedTrainer``
    (``mdistiller/engine/dot.py``) built as its ``DOT`` trainer builds it
    (``mdistiller/engine/trainer.py``: ``momentum=MOMENTUM - DELTA``,
    ``momentum_kd=MOMENTUM + DELTA``). One training step is::

        optimizer.zero_grad(set_to_none=True)
        loss_kd.backward(retain_graph=True)  # the loss_distill_* terms
        optimizer.step_kd()  # keeps g_kd, updates nothing
        optimizer.zero_grad(set_to_none=True)
        loss_task.backward()  # the student's own losses
        optimizer.step()  # both momenta, then the weights

    which :meth:`~mmlogitkd.distillers.BaseLogitDistiller.train_step` runs
    whenever the optimizer has a ``step_kd`` method.

    With :math:`\mu` = ``momentum``, :math:`\delta` = ``delta``,
    :math:`\mu_t = \mu - \delta`, :math:`\mu_k = \mu + \delta`,
    :math:`\bar\mu = (\mu_k + \mu_t) / 2`, weight decay :math:`\lambda`,
    dampening :math:`d`, learning rate :math:`\eta`, a parameter
    :math:`\theta` with task gradient :math:`g_t` and distillation gradient
    :math:`g_k` (``None`` where its loss does not reach it) and buffers
    :math:`b_t` (``momentum_buffer``), :math:`b_k` (``momentum_kd_buffer``):

    1. task update, for each :math:`\theta` with :math:`g_t`:
       :math:`u = g_t + \lambda\theta`;
       :math:`b_t \leftarrow u` on its first update, else
       :math:`b_t \leftarrow \mu_t b_t + (1 - d)u` if :math:`\theta` also
       has :math:`g_k`, :math:`\bar\mu b_t + (1 - d)u` if not;
       :math:`\theta \leftarrow \theta - \eta b_t` (no buffer, and
       :math:`\theta \leftarrow \theta - \eta u`, when :math:`\mu_t = 0`);
    2. then distillation update, for each :math:`\theta` with :math:`g_k`:
       :math:`b_k \leftarrow g_k` on its first update, else
       :math:`b_k \leftarrow \mu_k b_k + (1 - d)g_k` if :math:`\theta` also
       has :math:`g_t`, :math:`\bar\mu b_k + (1 - d)(g_k + \lambda\theta)`
       if not; :math:`\theta \leftarrow \theta - \eta b_k`.

    So weight decay enters the task buffer only, unless a parameter has a
    distillation gradient alone (then its distillation buffer, except on
    that buffer's first update: the official code's order, kept). With
    ``delta=0`` the two buffers sum to SGD's, and two steps of
    :math:`-\eta b` to one of :math:`-\eta(b_t + b_k)`: DOT is SGD on the
    summed losses up to rounding (``tests/test_engine/test_dot.py``).

    Departures from the official code, none of which changes an update of
    its training recipe:

    - arguments: ``momentum`` and ``delta`` as the official trainer's config
      (``SOLVER.MOMENTUM``, ``SOLVER.DOT.DELTA``) rather than the two
      momenta; each param group keeps ``momentum`` and ``delta`` (so a
      momentum scheduler moves both momenta) and derives :math:`\mu_t`,
      :math:`\mu_k` at every step with the official expressions;
    - several param groups (``paramwise_cfg``) are allowed, each updated
      with its own settings; the official code asserts a single group;
    - :meth:`step_kd` takes the gradients out of ``param.grad`` (sets it to
      ``None``) where the official one keeps references that the trainer's
      ``zero_grad(set_to_none=True)`` detaches: the same step, but a
      ``zero_grad(set_to_none=False)`` in between can no longer erase the
      distillation gradients in place;
    - :meth:`step` without a :meth:`step_kd` since the last step raises,
      where the official one silently runs plain SGD with momentum
      :math:`\bar\mu`: that is what a training step with a single backward
      pass (a distributed wrapper's ``train_step``) would do;
    - membership of a parameter in the other gradient set is looked up by
      identity in a set, not by a linear scan (``check_in``): same result.

    Args:
        params (iterable): Parameters or param groups.
        lr (float): Learning rate.
        momentum (float): :math:`\mu`. Defaults to 0.9.
        delta (float): :math:`\delta`, the momentum moved from the task
            gradient to the distillation gradient; the paper's 0.075 on
            CIFAR-100 and Tiny-ImageNet, 0.09 on ImageNet. Defaults to 0.075.
        weight_decay (float): :math:`\lambda`. Defaults to 0.
        dampening (float): :math:`d`, as the official optimizer's (its
            trainer leaves it at 0). Defaults to 0.
    """

    def __init__(self,
                 params,
                 lr: float = required,
                 momentum: float = 0.9,
                 delta: float = 0.075,
                 weight_decay: float = 0.,
                 dampening: float = 0.) -> None:
        if lr is not required and lr < 0.0:
            raise ValueError(f'Invalid learning rate: {lr}')
        if momentum - delta < 0.0 or momentum + delta < 0.0:
            raise ValueError(
                f'Invalid momentum {momentum} and delta {delta}: the task '
                f'momentum (momentum - delta = {momentum - delta}) and the '
                f'distillation momentum (momentum + delta = '
                f'{momentum + delta}) must be >= 0')
        if weight_decay < 0.0:
            raise ValueError(f'Invalid weight_decay value: {weight_decay}')
        defaults = dict(
            lr=lr,
            momentum=momentum,
            delta=delta,
            dampening=dampening,
            weight_decay=weight_decay)
        super().__init__(params, defaults)
        # per param group: (parameters, their distillation gradients), set
        # by step_kd and used by the next step
        self._kd: Optional[List[Tuple[List[Tensor], List[Tensor]]]] = None

    @torch.no_grad()
    def step_kd(self, closure: Optional[Callable] = None):
        """Take the gradients in ``param.grad`` as the distillation
        gradients of the next :meth:`step` (and set ``param.grad`` to
        None); nothing is updated."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        self._kd = []
        for group in self.param_groups:
            params = [p for p in group['params'] if p.grad is not None]
            grads = [p.grad for p in params]
            for p in params:
                p.grad = None
            self._kd.append((params, grads))
        return loss

    def kd_grads(self) -> List[Tensor]:
        """The distillation gradients kept by :meth:`step_kd` for the next
        :meth:`step` (empty when there are none)."""
        return [g for _, grads in self._kd or () for g in grads]

    def discard_kd(self) -> None:
        """Forget the distillation gradients of :meth:`step_kd` (a skipped
        iteration)."""
        self._kd = None

    @torch.no_grad()
    def step(self, closure: Optional[Callable] = None):
        """Update both momentum buffers and the parameters from the task
        gradients in ``param.grad`` and the distillation gradients of the
        last :meth:`step_kd`."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        if self._kd is None:
            raise RuntimeError(
                'DOT.step() needs the distillation gradients of a '
                'step_kd() first (backward of the loss_distill_* terms, '
                'step_kd(), backward of the task losses, step()); '
                "mmlogitkd's distillers run both passes in their "
                'train_step. MMDistributedDataParallel runs its own '
                'train_step with one backward pass: for tools/dist_train.sh '
                'set model_wrapper_cfg = dict(type='
                "'mmlogitkd.TwoPassDistributedDataParallel') in the "
                'config.')
        for group, (kd_params, kd_grads) in zip(self.param_groups, self._kd):
            params, grads = [], []
            for p in group['params']:
                if p.grad is not None:
                    params.append(p)
                    grads.append(p.grad)
            bufs = [self.state[p].get('momentum_buffer') for p in params]
            kd_bufs = [
                self.state[p].get('momentum_kd_buffer') for p in kd_params
            ]
            momentum, delta = group['momentum'], group['delta']
            _dot_update(
                params,
                grads,
                bufs,
                kd_params,
                kd_grads,
                kd_bufs,
                weight_decay=group['weight_decay'],
                momentum=momentum - delta,
                momentum_kd=momentum + delta,
                lr=group['lr'],
                dampening=group['dampening'])
            for p, buf in zip(params, bufs):
                self.state[p]['momentum_buffer'] = buf
            for p, buf in zip(kd_params, kd_bufs):
                self.state[p]['momentum_kd_buffer'] = buf
        self._kd = None
        return loss


def _dot_update(params: List[Tensor], grads: List[Tensor],
                bufs: List[Optional[Tensor]], kd_params: List[Tensor],
                kd_grads: List[Tensor], kd_bufs: List[Optional[Tensor]], *,
                weight_decay: float, momentum: float, momentum_kd: float,
                lr: float, dampening: float) -> None:
    """mdistiller's ``dot()`` of one param group, line for line: the task
    update of ``params`` (``momentum`` is the task momentum), then the
    distillation update of ``kd_params``; ``bufs`` / ``kd_bufs`` are filled
    in place where a buffer starts."""
    in_kd = {id(p) for p in kd_params}
    in_task = {id(p) for p in params}
    for i, param in enumerate(params):
        d_p = grads[i]
        if weight_decay != 0:
            d_p = d_p.add(param, alpha=weight_decay)
        if momentum != 0:
            buf = bufs[i]
            if buf is None:
                buf = torch.clone(d_p).detach()
                bufs[i] = buf
            elif id(param) in in_kd:
                buf.mul_(momentum).add_(d_p, alpha=1 - dampening)
            else:
                buf.mul_((momentum_kd + momentum) / 2.).add_(
                    d_p, alpha=1 - dampening)
            d_p = buf
        param.add_(d_p, alpha=-lr)

    for i, (d_p, buf, p) in enumerate(zip(kd_grads, kd_bufs, kd_params)):
        if buf is None:
            buf = torch.clone(d_p).detach()
            kd_bufs[i] = buf
        elif id(p) in in_task:
            buf.mul_(momentum_kd).add_(d_p, alpha=1 - dampening)
        else:
            if weight_decay != 0:
                d_p = d_p.add(p, alpha=weight_decay)
            buf.mul_((momentum_kd + momentum) / 2.).add_(
                d_p, alpha=1 - dampening)
        p.add_(buf, alpha=-lr)
