# Copyright (c) mmlogitkd contributors. All rights reserved.
from .base_distiller import BaseLogitDistiller, DistillWarmup
from .cls_distiller import ClsLogitDistiller
from .det_distiller import DetLogitDistiller
from .data_preprocessor import DistillDataPreprocessor, same_preprocessing
from .paired_logits import PairedLogits
from .student import (load_student_weights, student_config,
                      student_runtime_config, student_weights)
from .utils import (build_host_model, check_state_dict_fits, freeze,
                    load_teacher_checkpoint, resolve_host_cfg)
from .views import grid_cell_logits, polyphase_views
from .teacher_cache import TeacherCacheMismatch, TeacherLogitCache

__all__ = [
    'BaseLogitDistiller', 'DistillWarmup', 'ClsLogitDistiller',
    'DetLogitDistiller',
    'DistillDataPreprocessor', 'same_preprocessing', 'PairedLogits',
    'build_host_model', 'check_state_dict_fits', 'freeze',
    'load_teacher_checkpoint', 'resolve_host_cfg', 'grid_cell_logits',
    'polyphase_views', 'load_student_weights', 'student_config',
    'student_runtime_config', 'student_weights', 'TeacherLogitCache',
    'TeacherCacheMismatch'
]
from .reid_distiller import ReIDLogitDistiller  # noqa: E402,F401
from .multiview_cls_distiller import MultiViewClsDistiller  # noqa: E402,F401
