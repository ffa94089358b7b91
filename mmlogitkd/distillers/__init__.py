# Copyright (c) mmlogitkd contributors. All rights reserved.
from .base_distiller import BaseLogitDistiller
from .checkpoint_loading import (
    load_state_dict_strictly,
    load_student_checkpoint,
    load_teacher_checkpoint,
)
from .cls_distiller import ClsLogitDistiller
from .data_preprocessor import DistillDataPreprocessor, same_preprocessing
from .det_distiller import DetLogitDistiller
from .host_models import (
    box_head,
    build_distill_losses,
    build_host_model,
    logit_width,
    num_classes_of,
    resolve_cfg_path,
    resolve_host_cfg,
)
from .multiview_cls_distiller import MultiViewClsDistiller
from .nonfinite_guard import NONFINITE_MODES, NonFiniteGuard
from .paired_logits import PairedLogits
from .reid_distiller import ReIDLogitDistiller
from .student import (
    load_student_weights,
    student_config,
    student_runtime_config,
    student_weights,
)
from .teacher_cache import TeacherCacheMismatch, TeacherLogitCache
from .teacher_checksum import TeacherMismatchError
from .teacher_source import (
    CachedTeacher,
    OnlineTeacher,
    TeacherSource,
    build_teacher_source,
)
from .two_pass_ddp import TwoPassDistributedDataParallel
from .views import grid_cell_logits, polyphase_views
from .warmup import DistillWarmup

__all__ = [
    'BaseLogitDistiller', 'build_distill_losses', 'ClsLogitDistiller',
    'MultiViewClsDistiller', 'DetLogitDistiller', 'ReIDLogitDistiller',
    'TeacherSource', 'OnlineTeacher', 'CachedTeacher', 'build_teacher_source',
    'TeacherMismatchError', 'TeacherLogitCache', 'TeacherCacheMismatch',
    'NonFiniteGuard', 'NONFINITE_MODES', 'DistillWarmup',
    'DistillDataPreprocessor', 'same_preprocessing', 'PairedLogits',
    'build_host_model', 'resolve_cfg_path', 'resolve_host_cfg', 'box_head',
    'num_classes_of', 'logit_width', 'load_state_dict_strictly',
    'load_teacher_checkpoint', 'load_student_checkpoint',
    'load_student_weights', 'student_config', 'student_runtime_config',
    'student_weights', 'grid_cell_logits', 'polyphase_views',
    'TwoPassDistributedDataParallel'
]
