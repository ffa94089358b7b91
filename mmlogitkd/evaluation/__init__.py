# Copyright (c) mmlogitkd contributors. All rights reserved.
from .reid_metric import ReIDMetric, reid_rank_metrics

__all__ = ['ReIDMetric', 'reid_rank_metrics']
