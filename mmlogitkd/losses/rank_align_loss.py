# Copyright (c) mmlogitkd contributors. All rights reserved.
from typing import Optional

from torch import Tensor

from mmlogitkd.registry import MODELS
from .base import RowwiseLogitLoss, rowwise_loss
from .functional import rank_align_loss


@MODELS.register_module()
class RankAlignLoss(RowwiseLogitLoss):
    """Rank alignment of logits (Lu et al., ICIC 2025; seed 003).

    With ``r(z)`` the soft ranks of a row (:func:`soft_rank`, Blondel et
    al., ICML 2020, ``eps = regularization_strength``), per row
    ``l_n = mean_c (r(s_n)_c - r(t_n)_c)^2`` (``mode='l2'``, the paper's
    ``L_RA``), ``mean_c |r(s_n)_c - r(t_n)_c|`` (``'l1'``) or
    ``1 - Pearson(r(s_n), r(t_n))`` (``'spearman'``)
    (:func:`~mmlogitkd.losses.functional.rank_align_loss`); then the batch
    reduction. No temperature, hence no ``standardize`` switch.

    Call: ``loss(student [N, C], teacher [N, C], target [N] | None) ->
    scalar`` (``[N]`` for ``reduction='none'``); ``target`` is accepted and
    ignored. See :class:`RowwiseLogitLoss` for the shared arguments.

    Args:
        regularization_strength (float): eps of the soft rank (paper: 1).
        mode (str): ``'l2'`` (default), ``'l1'`` or ``'spearman'``.
    """

    def __init__(self,
                 regularization_strength: float = 1.0,
                 mode: str = 'l2',
                 loss_weight: float = 1.0,
                 reduction: str = 'mean') -> None:
        super().__init__(loss_weight=loss_weight, reduction=reduction)
        if not regularization_strength > 0:
            raise ValueError('regularization_strength must be > 0, got '
                             f'{regularization_strength}')
        if mode not in ('l2', 'l1', 'spearman'):
            raise ValueError("mode must be 'l2', 'l1' or 'spearman', got "
                             f'{mode!r}')
        self.regularization_strength = float(regularization_strength)
        self.mode = mode

    @rowwise_loss
    def forward(self, student: Tensor, teacher: Tensor,
                target: Optional[Tensor]) -> Tensor:
        """``[N]`` per-row rank alignment of prepared ``[N, C]`` logits (see
        :func:`~mmlogitkd.losses.rowwise_loss` for the call)."""
        return rank_align_loss(student, teacher,
                               self.regularization_strength, self.mode)

    def extra_repr(self) -> str:
        return (f'regularization_strength={self.regularization_strength}, '
                f'mode={self.mode!r}, loss_weight={self.loss_weight}, '
                f'reduction={self.reduction!r}')
