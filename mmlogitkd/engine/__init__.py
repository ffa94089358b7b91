# Copyright (c) mmlogitkd contributors. All rights reserved.
from .optim_constructor import DistillOptimWrapperConstructor
from .optimizers import DOT

__all__ = ['DistillOptimWrapperConstructor', 'DOT']
from .hooks import (  # noqa: E402,F401
                    CheckLabelsHook,
                    SeededDataHook,
                    TeacherCacheHook,
                    check_dataset_labels,
)
