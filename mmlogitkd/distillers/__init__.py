# Copyright (c) mmlogitkd contributors. All rights reserved.
from .base_distiller import BaseLogitDistiller, DistillWarmup
from .cls_distiller import ClsLogitDistiller
from .utils import build_host_model, freeze, load_teacher_checkpoint

__all__ = [
    'BaseLogitDistiller', 'DistillWarmup', 'ClsLogitDistiller',
    'build_host_model', 'freeze', 'load_teacher_checkpoint'
]
