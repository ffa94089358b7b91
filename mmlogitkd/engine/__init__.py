# Copyright (c) mmlogitkd contributors. All rights reserved.
from .optim_constructor import DistillOptimWrapperConstructor

__all__ = ['DistillOptimWrapperConstructor']
