# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Task-agnostic logit distillation losses.

Tensors in, scalar out: ``loss(student [N, C], teacher [N, C], target [N] |
None, weight=None, avg_factor=None) -> scalar`` (``[N, C, K]`` views for
:class:`ScaleDecoupledLoss`). Every loss is registered in
:data:`mmlogitkd.registry.MODELS` and is a thin module whose ``forward`` is
one call into its maths: the per-row pure functions of
:mod:`mmlogitkd.losses.functional` (``kd_loss``, ``dkd_loss``, ``nkd_loss``,
``ldrld_loss``, ``rank_align_loss``, ...) or MLKD's
:func:`~mmlogitkd.losses.mlkd_loss.mlkd_terms`. The shared work (checks,
precision, detached teacher, standardization, weights and reduction) is the
bases' (:mod:`mmlogitkd.losses.base`): :class:`RowwiseLogitLoss` (a value
per row, then the batch reduction) and :class:`BatchLogitLoss` (statistics
across rows). :class:`CTKDLoss` owns a learnable temperature module
(:mod:`mmlogitkd.losses.ctkd_temperature`); :class:`MLKDLoss` takes two
views stacked on the batch axis (``[2N, C]``); the CPU top-k of LDRLD is
:mod:`mmlogitkd.losses.topk`.
"""
from . import functional
from .base import (
    BaseLogitLoss,
    BatchLogitLoss,
    RowwiseLogitLoss,
    TermsBatchLoss,
    batch_loss,
    rowwise_loss,
)
from .ctkd_loss import CTKDLoss
from .dist_loss import DISTLoss
from .dkd_loss import DKDLoss
from .functional import standardize_logits
from .kd_loss import KDLoss
from .ldrld_loss import LDRLDLoss
from .mlkd_loss import MLKDLoss
from .nkd_loss import NKDLoss
from .rank_align_loss import RankAlignLoss
from .scale_decoupled_loss import ScaleDecoupledLoss
from .skd_loss import SKDLoss
from .soft_rank import soft_rank
from .topk import topk_indices
from .ttm_loss import TTMLoss
from .utils import weight_reduce_loss
from .wsld_loss import WSLDLoss
from .wttm_loss import WTTMLoss

__all__ = [
    'BaseLogitLoss', 'RowwiseLogitLoss', 'BatchLogitLoss', 'TermsBatchLoss',
    'rowwise_loss',
    'batch_loss', 'KDLoss', 'DKDLoss', 'NKDLoss', 'LDRLDLoss',
    'RankAlignLoss', 'ScaleDecoupledLoss', 'CTKDLoss', 'MLKDLoss',
    'DISTLoss', 'SKDLoss',
    'standardize_logits', 'soft_rank', 'topk_indices', 'weight_reduce_loss',
    'functional', 'TTMLoss', 'WTTMLoss', 'WSLDLoss'
]
