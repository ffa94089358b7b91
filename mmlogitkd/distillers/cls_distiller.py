# Copyright (c) mmlogitkd contributors. All rights reserved.
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from mmlogitkd.registry import MODELS
from .base_distiller import BaseLogitDistiller
from .host_models import label_mixing_augments
from .paired_logits import PairedLogits
from .views import check_scales, grid_cell_logits


@MODELS.register_module()
class ClsLogitDistiller(BaseLogitDistiller):
    """Logit distillation between two mmpretrain ``ImageClassifier``.

    Plain losses get the head logits ``[N, C]`` of the same images;
    :class:`~mmlogitkd.losses.ScaleDecoupledLoss` (SDD) gets cell logits
    ``[N, C, K]`` made from the last backbone map (the map the neck pools)
    through the head's linear classifier at ``sdd_scales``, for each model.

    The student's own loss (its head's ``loss`` config, with its
    ``loss_weight``) is reported as ``loss``; distillation terms as
    ``loss_distill_<name>``. See :class:`BaseLogitDistiller` for the other
    args; the preprocessor type defaults to mmpretrain's
    ``ClsDataPreprocessor``.

    Args:
        sdd_scales (Sequence[int]): Grids of the SDD cells, ``(1, 2, 4)``
            (K = 21) for heterogeneous pairs, ``(1, 2)`` for homogeneous
            ones. Only used with a scale-decoupled loss.

    Example:
        >>> model = dict(
        ...     type='ClsLogitDistiller',
        ...     student=dict(cfg_path='mmlogitkd::_base_/students/'
        ...                  'cifar100_resnet8x4.py'),
        ...     teacher=dict(cfg_path='mmlogitkd::_base_/teachers/'
        ...                  'cifar100_resnet32x4.py'),
        ...     teacher_ckpt='checkpoints/cifar100/resnet32x4.pth',
        ...     distill_losses=dict(ldrld=dict(type='LDRLDLoss', alpha=10.5,
        ...                                    beta=7.0)))
    """

    host_scope = 'mmpretrain'
    default_preprocessor = 'mmpretrain.ClsDataPreprocessor'
    supports_teacher_cache = True

    def __init__(self,
                 *args,
                 sdd_scales: Sequence[int] = (1, 2, 4),
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sdd_scales = check_scales(sdd_scales)
        if self.uses_views:
            self._check_cell_support(self.student, 'student')
        self.teacher_source.check_views(
            self.sdd_scales if self.uses_views else None,
            lambda teacher: self._check_cell_support(teacher, 'teacher'))
        self.teacher_source.check_batch_augments(
            label_mixing_augments(self.student))

    @classmethod
    def check_pair(cls, student: nn.Module, teacher: nn.Module,
                   distill_losses: nn.ModuleDict) -> None:
        """Adds to :meth:`BaseLogitDistiller.check_pair`: a batch augment of
        the student's preprocessor that mixes labels (mmpretrain's Mixup,
        CutMix, ResizeMix) leaves each image with a mixed soft label and no
        class index, so a loss that needs one (``loss.requires_target``:
        DKD, NKD, every scale-decoupled loss) is refused, instead of being
        given the labels from before the mix. Target-free losses (KD, LDRLD,
        rank alignment) work with it."""
        super().check_pair(student, teacher, distill_losses)
        augments = label_mixing_augments(student)
        needy = [
            f'{name} ({type(loss).__name__})'
            for name, loss in distill_losses.items()
            if getattr(loss, 'requires_target', False)
        ]
        if augments and needy:
            raise ValueError(
                f'The student\'s data_preprocessor mixes labels '
                f'(batch_augments: {", ".join(augments)}), which leaves no '
                f'class index per image, and these distillation losses need '
                f'one: {", ".join(needy)}. They define no mixed soft '
                'targets, and the labels from before the mix would be '
                'wrong for mixed images. Remove the batch_augments, or use '
                'losses without a target (KDLoss, LDRLDLoss, RankAlignLoss).')

    @staticmethod
    def _check_cell_support(model: nn.Module, role: str) -> None:
        """SDD needs ``backbone -> global average pooling -> linear``."""
        from mmpretrain.models.necks import GlobalAveragePooling
        neck = getattr(model, 'neck', None)
        fc = getattr(getattr(model, 'head', None), 'fc', None)
        if not isinstance(neck, GlobalAveragePooling) or not isinstance(
                fc, nn.Linear):
            raise TypeError(
                f'ScaleDecoupledLoss needs the {role} to be backbone -> '
                'GlobalAveragePooling neck -> head with a linear `fc`, got '
                f'neck={type(neck).__name__}, head.fc={type(fc).__name__}. '
                'Scale-decoupled cells are made by applying that linear '
                'classifier to pooled regions of the last backbone map.')

    def _logits(self, model: nn.Module, inputs: torch.Tensor
                ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """One forward: head logits ``[N, C]`` and, with SDD, cell logits
        ``[N, C, K]``."""
        maps = model.backbone(inputs)
        feats = model.neck(maps) if model.with_neck else maps
        logits = model.head(feats)
        cells = grid_cell_logits(maps[-1], model.head.fc,
                                 self.sdd_scales) if self.uses_views else None
        return logits, cells

    def paired_logits(self, inputs: torch.Tensor, data_samples: List,
                      teacher_inputs: torch.Tensor):
        """Head logits (and cells) of the same images.

        Args:
            inputs (Tensor): ``[N, 3, H, W]`` the student's batch.
            data_samples (list[DataSample]): with ``gt_label``.
            teacher_inputs (Tensor): ``[N, 3, H, W]`` the teacher's.
        """
        # Teacher first: its activations are freed before the student's,
        # which backward needs, are allocated; the two never coexist. With a
        # teacher cache, one gather of the batch's rows instead.
        t_logits, t_cells = self.teacher_source.logits(
            self._logits, teacher_inputs, data_samples, views=self.uses_views)
        s_logits, s_cells = self._logits(self.student, inputs)
        losses = self.student.head._get_loss(s_logits, data_samples)
        return losses, PairedLogits(
            student=s_logits,
            teacher=t_logits,
            # after a label-mixing batch augment, gt_label is the label
            # from before the mix (mmpretrain keeps it beside the mixed
            # gt_score): no hard target then (check_pair refused the losses
            # that need one)
            target=None if label_mixing_augments(self.student) else
            self._hard_target(data_samples, s_logits.device),
            student_views=s_cells,
            teacher_views=t_cells)

    @staticmethod
    def _hard_target(data_samples: List,
                     device: torch.device) -> Optional[torch.Tensor]:
        """``[N]`` class indices, or None when the batch has soft labels only
        (e.g. after mixup), which target-free losses can still use."""
        if not data_samples or not all('gt_label' in ds
                                       for ds in data_samples):
            return None
        return torch.cat([ds.gt_label for ds in data_samples]).to(device)
