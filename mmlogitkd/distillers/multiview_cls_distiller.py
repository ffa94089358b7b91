# Copyright (c) mmlogitkd contributors. All rights reserved.
from typing import List, Tuple

import torch

from mmlogitkd.registry import MODELS
from .cls_distiller import ClsLogitDistiller
from .host_models import label_mixing_augments
from .paired_logits import PairedLogits


@MODELS.register_module()
class MultiViewClsDistiller(ClsLogitDistiller):
    """Classification distillation on several augmented views of each image
    (MLKD's weak and strong views).

    The training pipeline makes the views with ``mmpretrain.MultiView`` and
    stacks them on the height axis with
    :class:`~mmlogitkd.datasets.StackViews` (packing ``num_views`` as a meta
    key): a batch ``[N, 3, V * H, W]``, normalised by each model's own
    preprocessor. Here it is split back into views: the frozen teacher (eval
    mode, under ``no_grad``) takes them view-major as one batch
    ``[V * N, 3, H, W]``; the student takes one view at a time, weak first,
    as the official code (its batch-norm statistics are then those of each
    view, not of the mixed batch). The distillation losses get logits
    ``[V * N, C]``: rows ``[v N, (v + 1) N)`` are view v of the N images
    (weak first), and the target ``[V * N]`` repeats the labels per view.
    The student's own loss
    is its head's loss on every view, summed (the official MLKD
    ``ce_weight * (CE(weak) + CE(strong))``). Validation and testing use
    the student on the ordinary single-view pipeline.

    Scale-decoupled losses and a teacher cache are not supported here.

    Args:
        num_views (int): V. Defaults to 2.
        **kwargs: See :class:`ClsLogitDistiller`.
    """

    supports_teacher_cache = False

    def __init__(self, *args, num_views: int = 2, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if num_views < 1:
            raise ValueError(f'num_views must be >= 1, got {num_views}')
        self.num_views = int(num_views)
        if self.uses_views:
            raise ValueError('MultiViewClsDistiller does not support '
                             'scale-decoupled losses (SDD)')

    def split_views(self, inputs: torch.Tensor,
                    data_samples: List) -> Tuple[torch.Tensor, ...]:
        """``[N, 3, V * H, W]`` -> V views ``[N, 3, H, W]``."""
        V = self.num_views
        packed = {ds.metainfo.get('num_views') for ds in data_samples or []}
        if packed != {V} or inputs.shape[2] % V:
            raise ValueError(
                f'{type(self).__name__} expects {V} views of each image, '
                'stacked on the height axis by the StackViews transform '
                "(with 'num_views' among PackInputs' meta_keys); got inputs "
                f'of shape {tuple(inputs.shape)} and num_views {packed}. '
                'Use a two-view training pipeline, e.g. '
                'configs/_base_/datasets/cifar100_bs64_weak_strong.py.')
        return inputs.chunk(V, dim=2)

    def paired_logits(self, inputs: torch.Tensor, data_samples: List,
                      teacher_inputs: torch.Tensor):
        """Logits of every view of the same images.

        Args:
            inputs (Tensor): ``[N, 3, V * H, W]`` the student's batch.
            data_samples (list[DataSample]): N samples with ``gt_label``.
            teacher_inputs (Tensor): ``[N, 3, V * H, W]`` the teacher's.

        Returns:
            tuple: the student's losses (``loss``: its head loss summed
            over the views) and :class:`PairedLogits` of ``[V * N, C]``.
        """
        t_views = self.split_views(teacher_inputs, data_samples)
        # eval mode: batching the views changes nothing
        t_logits, _ = self.teacher_source.logits(
            self._logits, torch.cat(t_views), data_samples)
        losses, s_logits = {}, []
        for view in self.split_views(inputs, data_samples):
            logits, _ = self._logits(self.student, view)
            for key, value in self.student.head._get_loss(
                    logits, data_samples).items():
                losses[key] = losses[key] + value if key in losses else value
            s_logits.append(logits)
        s_logits = torch.cat(s_logits)
        # no hard target after a label-mixing batch augment (see
        # ClsLogitDistiller.paired_logits)
        target = None if label_mixing_augments(self.student) else \
            self._hard_target(data_samples, s_logits.device)
        return losses, PairedLogits(
            student=s_logits,
            teacher=t_logits,
            target=None if target is None else target.repeat(self.num_views))
