# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Task-agnostic logit distillation losses.

Tensors in, scalar out: ``loss(student [N, C], teacher [N, C], target [N])``
(``[N, C, K]`` cells for :class:`ScaleDecoupledLoss`). Every loss is
registered in :data:`mmlogitkd.registry.MODELS`; the per-row pure functions
behind them live in :mod:`mmlogitkd.losses.functional` (``kd_loss``,
``dkd_loss``, ``nkd_loss``, ``ldrld_loss``, ``rank_align_loss``, ...).
:class:`CTKDLoss` owns a learnable temperature module
(:mod:`mmlogitkd.losses.ctkd_temperature`); :class:`MLKDLoss` takes two
views stacked on the batch axis (``[2N, C]``).
"""
from . import functional
from .base import BaseLogitLoss
from .ctkd_loss import CTKDLoss
from .dkd_loss import DKDLoss
from .functional import standardize_logits
from .kd_loss import KDLoss
from .ldrld_loss import LDRLDLoss
from .mlkd_loss import MLKDLoss
from .nkd_loss import NKDLoss
from .rank_align_loss import RankAlignLoss
from .scale_decoupled_loss import ScaleDecoupledLoss
from .soft_rank import soft_rank
from .utils import weight_reduce_loss

__all__ = [
    'BaseLogitLoss', 'KDLoss', 'DKDLoss', 'NKDLoss', 'LDRLDLoss',
    'RankAlignLoss', 'ScaleDecoupledLoss', 'CTKDLoss', 'MLKDLoss',
    'standardize_logits', 'soft_rank', 'weight_reduce_loss', 'functional'
]
