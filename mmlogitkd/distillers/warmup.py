# Copyright (c) mmlogitkd contributors. All rights reserved.
from mmengine.logging import MessageHub


class DistillWarmup:
    """Linear warm-up factor of the distillation losses.

    ``factor = min((step + 1) / length, 1)`` where ``step`` is the 0-based
    epoch (``by_epoch=True``) or iteration read from the runner's message
    hub, as the official DKD code does with its 1-based epoch. Outside a
    runner (no ``epoch``/``iter`` info) the factor is 1.

    An iteration-based loop reports epoch 0 for the whole run, where a ramp
    counted in epochs would never end: ``tools/train.py`` refuses that
    pairing before the model is built
    (:func:`~mmlogitkd.apis.config.check_warmup_unit`).

    Args:
        length (int): Number of epochs (or iterations) of the ramp.
        by_epoch (bool): Count epochs rather than iterations.
    """

    def __init__(self, length: int, by_epoch: bool = True) -> None:
        if length < 1:
            raise ValueError(f'distill_warmup.length must be >= 1, got '
                             f'{length}')
        self.length = length
        self.by_epoch = by_epoch

    def factor(self) -> float:
        step = MessageHub.get_current_instance().get_info(
            'epoch' if self.by_epoch else 'iter')
        if step is None:
            return 1.0
        return min((step + 1) / self.length, 1.0)
