# Copyright (c) mmlogitkd contributors. All rights reserved.
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn

from mmlogitkd.losses import ScaleDecoupledLoss, scale_decoupled_logits
from mmlogitkd.registry import MODELS
from .base_distiller import BaseLogitDistiller


@MODELS.register_module()
class ClsLogitDistiller(BaseLogitDistiller):
    """Logit distillation between two mmpretrain ``ImageClassifier``.

    Student and teacher see the same preprocessed batch. Plain losses get the
    head logits ``[N, C]``; :class:`ScaleDecoupledLoss` (SDD) gets cell logits
    ``[N, C, K]`` made from the last backbone map (the map the neck pools)
    through the head's linear classifier, for each model.

    The student's own loss (its head's ``loss`` config, with its
    ``loss_weight``) is reported as ``loss``; distillation terms as
    ``loss_distill_<name>``. See :class:`BaseLogitDistiller` for the args;
    ``data_preprocessor`` defaults to mmpretrain's ``ClsDataPreprocessor``.

    Example:
        >>> model = dict(
        ...     type='ClsLogitDistiller',
        ...     student=dict(type='mmpretrain.ImageClassifier', ...),
        ...     teacher=dict(type='mmpretrain.ImageClassifier', ...),
        ...     teacher_ckpt='checkpoints/cifar100/resnet32x4.pth',
        ...     distill_losses=dict(ldrld=dict(type='LDRLDLoss', alpha=10.5,
        ...                                    beta=7.0)),
        ...     distill_warmup=dict(length=20, by_epoch=True))
    """

    def __init__(self,
                 *args,
                 data_preprocessor: Optional[dict] = None,
                 **kwargs) -> None:
        if isinstance(data_preprocessor, dict) or data_preprocessor is None:
            data_preprocessor = dict(data_preprocessor or {})
            data_preprocessor.setdefault('type',
                                         'mmpretrain.ClsDataPreprocessor')
        super().__init__(*args, data_preprocessor=data_preprocessor, **kwargs)
        self._cell_scales = sorted({
            tuple(loss.scales)
            for loss in self.distill_losses.values()
            if isinstance(loss, ScaleDecoupledLoss)
        })
        if self._cell_scales:
            self._check_cell_support(self.student, 'student')
            self._check_cell_support(self.teacher, 'teacher')

    @staticmethod
    def _check_cell_support(model: nn.Module, role: str) -> None:
        """SDD needs ``backbone -> global average pooling -> linear``."""
        neck = getattr(model, 'neck', None)
        fc = getattr(getattr(model, 'head', None), 'fc', None)
        pools = neck is not None and type(neck).__name__ in (
            'GlobalAveragePooling', )
        if not pools or not isinstance(fc, nn.Linear):
            raise TypeError(
                f'ScaleDecoupledLoss needs the {role} to be backbone -> '
                'GlobalAveragePooling neck -> head with a linear `fc`, got '
                f'neck={type(neck).__name__}, head.fc={type(fc).__name__}. '
                'Scale-decoupled cells are made by applying that linear '
                'classifier to pooled regions of the last backbone map.')

    def _logits(self, model: nn.Module, inputs: torch.Tensor
                ) -> Tuple[torch.Tensor, Dict[tuple, torch.Tensor]]:
        """One forward: head logits ``[N, C]`` and, per SDD scale set, cell
        logits ``[N, C, K]``."""
        maps = model.backbone(inputs)
        feats = model.neck(maps) if model.with_neck else maps
        logits = model.head(feats)
        cells = {
            scales: scale_decoupled_logits(maps[-1], model.head.fc, scales)
            for scales in self._cell_scales
        }
        return logits, cells

    def loss(self, inputs: torch.Tensor, data_samples: List) -> dict:
        """Student loss plus distillation losses.

        Args:
            inputs (Tensor): ``[N, 3, H, W]`` preprocessed images.
            data_samples (list[DataSample]): with ``gt_label``.
        """
        # Teacher first: its activations are freed before the student's,
        # which backward needs, are allocated; the two never coexist.
        with torch.no_grad():
            t_logits, t_cells = self._logits(self.teacher, inputs)
        s_logits, s_cells = self._logits(self.student, inputs)

        losses = self.student.head._get_loss(s_logits, data_samples)
        target = self._hard_target(data_samples, s_logits.device)
        student_in, teacher_in = {}, {}
        for name, loss_fn in self.distill_losses.items():
            if isinstance(loss_fn, ScaleDecoupledLoss):
                key = tuple(loss_fn.scales)
                student_in[name], teacher_in[name] = s_cells[key], t_cells[key]
            else:
                student_in[name], teacher_in[name] = s_logits, t_logits
        losses.update(
            self.distill_loss_terms(student_in, teacher_in, target))
        return losses

    @staticmethod
    def _hard_target(data_samples: List,
                     device: torch.device) -> Optional[torch.Tensor]:
        """``[N]`` class indices, or None when the batch has soft labels only
        (e.g. after mixup), which target-free losses can still use."""
        if not data_samples or not all('gt_label' in ds
                                       for ds in data_samples):
            return None
        return torch.cat([ds.gt_label for ds in data_samples]).to(device)
