# Copyright (c) mmlogitkd contributors. All rights reserved.
from dataclasses import dataclass
from typing import Optional, Union

from torch import Tensor


@dataclass
class PairedLogits:
    """What a task adapter hands to the distillation losses: student and
    teacher logits of the *same* rows (images, RoIs or person crops).

    Attributes:
        student (Tensor): ``[N, C]`` student logits.
        teacher (Tensor): ``[N, C]`` teacher logits (no gradient).
        target (Tensor, optional): ``[N]`` class indices; ``None`` where the
            batch has soft labels only.
        student_views (Tensor, optional): ``[N, C, K]`` view logits for
            scale-decoupled losses, view 0 the global one.
        teacher_views (Tensor, optional): ``[N, C, K]``, likewise.
        weight (Tensor, optional): ``[N]`` per-row weights.
        avg_factor (float | Tensor, optional): Divisor of the summed loss.
    """
    student: Tensor
    teacher: Tensor
    target: Optional[Tensor] = None
    student_views: Optional[Tensor] = None
    teacher_views: Optional[Tensor] = None
    weight: Optional[Tensor] = None
    avg_factor: Optional[Union[float, Tensor]] = None
