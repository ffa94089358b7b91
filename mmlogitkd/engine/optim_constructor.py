# Copyright (c) mmlogitkd contributors. All rights reserved.
import torch.nn as nn
from mmengine.optim import DefaultOptimWrapperConstructor

from mmlogitkd.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class DistillOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's default constructor, blind to the distiller's teacher.

    The teacher's parameters never enter the optimizer, so neither weight
    decay nor momentum can touch them. Parameter names keep their place in
    the distiller (``student.backbone...``), so ``paramwise_cfg.custom_keys``
    are written as for any model.
    """

    def __call__(self, model: nn.Module):
        if hasattr(model, 'module'):  # DDP and other wrappers
            model = model.module
        if hasattr(model, 'teacher'):
            trainable = nn.Module()
            for name, child in model.named_children():
                if name != 'teacher':
                    trainable.add_module(name, child)
            model = trainable
        return super().__call__(model)
