# Copyright (c) mmlogitkd contributors. All rights reserved.
from typing import Dict, Optional

from mmengine.logging import MessageHub
from torch import Tensor

from mmlogitkd.registry import MODELS
from .base import RowwiseLogitLoss, rowwise_loss
from .ctkd_temperature import (
    InstanceTemperature,
    build_temperature_module,
    cosine_lambda,
)
from .functional import dkd_loss, kd_loss


@MODELS.register_module()
class CTKDLoss(RowwiseLogitLoss):
    """Curriculum temperature KD (Li et al., "Curriculum Temperature for
    Knowledge Distillation", AAAI 2023; official code ``zhengli97/CTKD``).

    KD (or DKD) at a *learned* temperature ``T``: the loss's own
    temperature module (a parameter of the distiller, hence optimised with
    the student by the same optimizer, saved and resumed with it) predicts
    ``T = t_start + t_end * sigmoid(GRL(theta))``; the gradient-reversal
    layer makes the temperature *maximise* the loss the student minimises,
    with the reversal strength lambda rising over the first
    ``lambda_epochs`` epochs on a cosine curriculum
    (:func:`~mmlogitkd.losses.ctkd_temperature.cosine_lambda`).

    Per row ``l_n = T^2 * KL(softmax(t_n / T) || softmax(s_n / T))``
    (``base='kd'``, official ``DistillKL``;
    :func:`~mmlogitkd.losses.functional.kd_loss`) or DKD's
    ``alpha * TCKD + beta * NCKD`` at T (``base='dkd'``, official
    ``DKDloss`` fed the same temperature;
    :func:`~mmlogitkd.losses.functional.dkd_loss`); then the batch
    reduction. ``mode='global'``: one T ``[1]`` (official ``Global_T``);
    ``mode='instance'``: ``T [N, 1]`` from a 2-layer MLP on both models'
    logits (:class:`~mmlogitkd.losses.ctkd_temperature.InstanceTemperature`),
    with the official README's per-instance KL (teacher probabilities
    ``+ teacher_eps``). With ``standardize=True`` both logits are
    Z-scored before the temperature (CTKD + LS, seed 002: the official LS
    code's ``DistillKL_logit_stand``).

    The epoch comes from mmengine's message hub (0-based there; the
    official loop's 1-based epoch is ``epoch + 1``); outside a runner lambda
    is ``lambda_max``. :meth:`extra_log_vars` gives the distiller the
    temperature of the last call (detached; the mean over rows in instance
    mode), logged as ``<name>_temperature`` every iteration without a host
    read.

    Call: ``loss(student [N, C], teacher [N, C], target [N] | None) ->
    scalar`` (``[N]`` for ``reduction='none'``); ``target`` is required
    for ``base='dkd'`` (then C >= 2) and ignored for ``'kd'``;
    ``mode='instance'`` runs on the ``num_classes`` it was built for only.
    See :class:`RowwiseLogitLoss` for the shared arguments.

    Args:
        base (str): ``'kd'`` (default) or ``'dkd'``.
        mode (str): ``'global'`` (default) or ``'instance'``.
        t_start (float): Lower bound of T (official ``--t_start``, 1).
        t_end (float): Range of T (official ``--t_end``, 20).
        lambda_max (float): Final reversal strength (official 1: the
            schedule's ``decay_min=-1``). Defaults to 1.
        lambda_min (float): Initial reversal strength (official
            ``decay_max=0``). Defaults to 0.
        lambda_epochs (int): Epochs of the cosine ramp (official
            ``--decay_loops``: 10 on CIFAR-100, 5 on ImageNet).
        num_classes (int, optional): C; needed by ``mode='instance'``.
        hidden_channels (int): Hidden width of the instance MLP.
            Defaults to 256.
        init (float): Initial ``theta`` of the global temperature
            (official ``torch.ones(1)``). Defaults to 1.
        teacher_eps (float, optional): Added to the teacher probabilities
            of the KL (``base='kd'``): None gives 0 for ``'global'``
            (official ``nn.KLDivLoss``) and 1e-7 for ``'instance'``
            (official README's ``KL_Loss``).
        alpha (float): DKD's TCKD weight (``base='dkd'``). Defaults to 1.
        beta (float): DKD's NCKD weight (``base='dkd'``). Defaults to 8.
    """

    def __init__(self,
                 base: str = 'kd',
                 mode: str = 'global',
                 t_start: float = 1.0,
                 t_end: float = 20.0,
                 lambda_max: float = 1.0,
                 lambda_min: float = 0.0,
                 lambda_epochs: int = 10,
                 num_classes: Optional[int] = None,
                 hidden_channels: int = 256,
                 init: float = 1.0,
                 teacher_eps: Optional[float] = None,
                 alpha: float = 1.0,
                 beta: float = 8.0,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if base not in ('kd', 'dkd'):
            raise ValueError(f"CTKDLoss base must be 'kd' or 'dkd', got "
                             f'{base!r}')
        if not t_start > 0 or not t_end >= 0:
            raise ValueError('CTKDLoss needs t_start > 0 and t_end >= 0 (T '
                             f'in [t_start, t_start + t_end]), got {t_start},'
                             f' {t_end}')
        if lambda_epochs < 1:
            raise ValueError(f'lambda_epochs must be >= 1, got '
                             f'{lambda_epochs}')
        self.base = base
        self.mode = mode
        #: DKD needs the target class and a non-target one
        self.requires_target = base == 'dkd'
        self.min_classes = 2 if base == 'dkd' else 1
        self.lambda_max = float(lambda_max)
        self.lambda_min = float(lambda_min)
        self.lambda_epochs = int(lambda_epochs)
        self.alpha = float(alpha)
        self.beta = float(beta)
        self.teacher_eps = float((0.0 if mode == 'global' else 1e-7
                                  ) if teacher_eps is None else teacher_eps)
        module_args = dict(t_start=t_start, t_end=t_end)
        if mode == 'global':
            module_args['init'] = init
        else:
            module_args['hidden_channels'] = hidden_channels
        self.temperature_module = build_temperature_module(
            mode, num_classes, **module_args)
        self._last_temperature: Optional[Tensor] = None

    def grl_lambda(self) -> float:
        """Reversal strength of the current epoch (message hub's 0-based
        ``epoch`` + 1, as the official loop); ``lambda_max`` outside a
        runner."""
        epoch = MessageHub.get_current_instance().get_info('epoch')
        if epoch is None:
            return self.lambda_max
        return cosine_lambda(epoch + 1, self.lambda_max, self.lambda_min,
                             self.lambda_epochs)

    @rowwise_loss
    def forward(self, student: Tensor, teacher: Tensor,
                target: Optional[Tensor]) -> Tensor:
        """``[N]`` per-row loss of prepared ``[N, C]`` logits at the learned
        temperature, which gets its (reversed) gradient through T (see
        :func:`~mmlogitkd.losses.rowwise_loss` for the call)."""
        T = self.temperature_module(student, teacher, self.grl_lambda())
        self._last_temperature = T.detach()
        if self.base == 'dkd':
            return dkd_loss(student, teacher, target, self.alpha, self.beta, T)
        return kd_loss(student, teacher, T, self.teacher_eps)

    def check_num_classes(self, num_classes: int) -> None:
        super().check_num_classes(num_classes)
        module = self.temperature_module
        if isinstance(module, InstanceTemperature) and \
                num_classes != module.num_classes:
            raise ValueError(
                f'{type(self).__name__}(mode="instance") was built for '
                f'{module.num_classes} classes (num_classes), got logits of '
                f'{num_classes}')

    def extra_log_vars(self) -> Dict[str, Tensor]:
        """``{'temperature': T}`` of the last call, detached (mean over
        rows in instance mode); empty before the first call."""
        if self._last_temperature is None:
            return {}
        return {'temperature': self._last_temperature.float().mean()}

    def extra_repr(self) -> str:
        return (f'base={self.base!r}, mode={self.mode!r}, '
                f'lambda=[{self.lambda_min}, {self.lambda_max}] over '
                f'{self.lambda_epochs} epochs, {super().extra_repr()}')
