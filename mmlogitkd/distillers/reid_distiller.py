# Copyright (c) mmlogitkd contributors. All rights reserved.
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from mmlogitkd.models.reid.torchreid_classifier import gt_labels
from mmlogitkd.registry import MODELS
from .base_distiller import BaseLogitDistiller
from .host_models import label_mixing_augments
from .paired_logits import PairedLogits
from .views import check_scales


@MODELS.register_module()
class ReIDLogitDistiller(BaseLogitDistiller):
    """Logit distillation between two torchreid re-identification networks
    (:class:`~mmlogitkd.models.TorchreidClassifier`).

    Both models see the same person crops; the losses get their identity
    logits ``[N, num_ids]`` (torchreid networks return embeddings in eval
    mode, so the adapter runs the classifier itself), and
    :class:`~mmlogitkd.losses.ScaleDecoupledLoss` (SDD) gets cell logits
    ``[N, num_ids, K]`` from the last feature map through each model's
    identity classifier at ``sdd_scales``. The target is the training
    identity (``gt_label``); the student's own label-smoothed cross-entropy
    is reported as ``loss``, distillation terms as ``loss_distill_<name>``.
    Predict mode is the student's: embeddings for
    :class:`~mmlogitkd.evaluation.ReIDMetric`. With ``teacher_cache``, the
    teacher's identity logits (and cells) of every training crop are read
    from a cache of ``tools/cache_teacher_logits.py``, as in classification
    (:class:`~mmlogitkd.distillers.teacher_source.CachedTeacher`).

    Unprefixed student / teacher types are mmlogitkd's; the preprocessor type
    defaults to mmpretrain's ``ClsDataPreprocessor``. See
    :class:`BaseLogitDistiller` for the other args.

    Args:
        sdd_scales (Sequence[int]): Grids of the SDD cells. Defaults to
            ``(1, 2, 4)``; ``(1, 2)`` for a homogeneous pair. The 8x4 map of
            a ResNet at 256x128 makes 4x4 cells one column wide. Only used
            with a scale-decoupled loss.

    Example:
        >>> model = dict(
        ...     type='ReIDLogitDistiller',
        ...     student=dict(cfg_path='mmlogitkd::_base_/models/'
        ...                  'reid_resnet18_market1501.py'),
        ...     teacher=dict(cfg_path='mmlogitkd::_base_/models/'
        ...                  'reid_resnet50_market1501.py'),
        ...     teacher_ckpt='checkpoints/market1501/resnet50_market1501.pth',
        ...     distill_losses=dict(kd=dict(type='KDLoss', temperature=4.0)))
    """

    host_scope = 'mmlogitkd'
    default_preprocessor = 'mmpretrain.ClsDataPreprocessor'
    # A crop's identity logits depend on the crop alone, as an image's
    # class logits do: a teacher cache replays them (and the cells) by the
    # crop's (epoch, index), exactly as for classification.
    supports_teacher_cache = True

    def __init__(self,
                 *args,
                 sdd_scales: Sequence[int] = (1, 2, 4),
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sdd_scales = check_scales(sdd_scales)
        # the teacher's cells at these scales: made by the online teacher
        # (checked in check_pair), or held by the cache
        self.teacher_source.check_views(
            self.sdd_scales if self.uses_views else None,
            lambda teacher: None)
        self.teacher_source.check_batch_augments(
            label_mixing_augments(self.student))

    @classmethod
    def check_pair(cls, student: nn.Module, teacher: nn.Module,
                   distill_losses: nn.ModuleDict) -> None:
        """Adds to :meth:`BaseLogitDistiller.check_pair`: both models are
        :class:`~mmlogitkd.models.TorchreidClassifier` (the teacher as
        built, or, with a teacher cache, its memory-less shell)."""
        cls._check_model(student, 'student')
        cls._check_model(teacher, 'teacher')
        super().check_pair(student, teacher, distill_losses)

    @staticmethod
    def _check_model(model: nn.Module, role: str) -> None:
        """Both models must expose the split forward of
        ``TorchreidClassifier``."""
        needed = ('extract_feat', 'identity_logits', 'identity_loss',
                  'num_classes')
        missing = [name for name in needed if not hasattr(model, name)]
        if missing:
            raise TypeError(
                f'ReIDLogitDistiller needs the {role} to be a '
                f'TorchreidClassifier (or to provide {", ".join(needed)}); '
                f'{type(model).__name__} lacks {", ".join(missing)}')

    def _logits(self, model: nn.Module, inputs: torch.Tensor
                ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Identity logits ``[N, num_ids]`` and, with SDD, cell logits
        ``[N, num_ids, K]``."""
        return model.identity_logits(
            model.extract_feat(inputs),
            self.sdd_scales if self.uses_views else None)

    def paired_logits(self, inputs: torch.Tensor, data_samples: List,
                      teacher_inputs: torch.Tensor):
        """Identity logits (and cells) of the same crops.

        Args:
            inputs (Tensor): ``[N, 3, H, W]`` the student's batch.
            data_samples (list[DataSample]): with ``gt_label``, the
                relabelled training identity.
            teacher_inputs (Tensor): ``[N, 3, H, W]`` the teacher's.
        """
        # Teacher first: its activations are freed before the student's,
        # which backward needs, are allocated; the two never coexist.
        t_logits, t_cells = self.teacher_source.logits(
            self._logits, teacher_inputs, data_samples, views=self.uses_views)
        s_logits, s_cells = self._logits(self.student, inputs)
        target = gt_labels(data_samples, s_logits)
        losses = self.student.identity_loss(s_logits, target)
        return losses, PairedLogits(
            student=s_logits,
            teacher=t_logits,
            target=target,
            student_views=s_cells,
            teacher_views=t_cells)
