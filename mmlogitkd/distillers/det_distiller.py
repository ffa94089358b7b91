# Copyright (c) mmlogitkd contributors. All rights reserved.
import copy
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from torch import Tensor

from mmlogitkd.registry import MODELS
from .base_distiller import BaseLogitDistiller
from .paired_logits import PairedLogits
from .views import frozen_norm_stats, polyphase_views

NUM_VIEWS = 5


@MODELS.register_module()
class DetLogitDistiller(BaseLogitDistiller):
    """Logit distillation between two mmdet two-stage detectors (Faster
    R-CNN FPN), on the student's RoIs.

    This is how the official DKD (mdistiller ``detection/``) and SDD
    (``detection/model/rcnn.py``) code distil Faster R-CNN:

    - the student runs its normal mmdet training forward: backbone, FPN,
      RPN losses, RoI assignment and sampling, its own ``loss_cls`` /
      ``loss_bbox``, with mmdet's own parts, unchanged;
    - the student's sampled RoIs (all of them, background included, before
      any NMS) are pooled on the frozen teacher's FPN features through the
      teacher's own RoI extractor and box head, so student and teacher class
      logits ``[num_rois, num_classes + 1]`` describe the same boxes; the
      student's are the very ``cls_score`` its ``loss_cls`` uses;
    - targets are the sampler's labels (background = ``num_classes``, as
      mmdet orders it): background RoIs are distilled with background as
      their target; box deltas are not distilled; the teacher's RPN is not
      run;
    - scale-decoupled losses (GL-DKD) get five views per RoI and model: the
      RoIs pooled at twice the head's resolution (14x14), the global view
      its 2x2 average, the four local views its polyphase sub-grids
      (:func:`~mmlogitkd.distillers.polyphase_views`), each through that
      model's own box head: ``[num_rois, num_classes + 1, 5]``; the
      views leave the student head's batch-norm running statistics as its
      ordinary RoIs set them (:func:`~mmlogitkd.distillers.views.
      frozen_norm_stats`; the official heads have none).

    Each model sees its own normalisation of the batch (see
    :class:`~mmlogitkd.distillers.DistillDataPreprocessor`); RoIs are in
    image coordinates, so the teacher's padding may differ. ``predict`` is
    the student's: mmdet's ``CocoMetric`` evaluates it.

    Example:
        >>> model = dict(
        ...     _scope_='mmlogitkd',
        ...     type='DetLogitDistiller',
        ...     student=dict(
        ...         cfg_path='mmdet::_base_/models/faster-rcnn_r50_fpn.py',
        ...         backbone=dict(depth=18),
        ...         neck=dict(in_channels=[64, 128, 256, 512])),
        ...     teacher=dict(cfg_path='mmlogitkd::_base_/models/'
        ...                  'frcnn_r101_fpn.py'),
        ...     teacher_ckpt='checkpoints/coco/faster_rcnn_r101_fpn.pth',
        ...     distill_losses=dict(dkd=dict(type='DKDLoss', alpha=1.0,
        ...                                  beta=0.25, temperature=1.0)))
    """

    host_scope = 'mmdet'

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # the student's RoIs go through the teacher's own RoI extractor and
        # box head: the teacher model itself, which a cache does not hold
        teacher = self.teacher_source.require_model(type(self).__name__)
        self._check_two_stage(self.student, 'student')
        self._check_two_stage(teacher, 'teacher')
        if self.uses_views:
            self.student_view_extractor = _double_resolution(
                self.student.roi_head.bbox_roi_extractor)
            self.teacher_view_extractor = _double_resolution(
                teacher.roi_head.bbox_roi_extractor)

    @staticmethod
    def _check_two_stage(model: nn.Module, role: str) -> None:
        roi_head = getattr(model, 'roi_head', None)
        if not (getattr(model, 'with_rpn', False) and roi_head is not None
                and getattr(roi_head, 'with_bbox', False)):
            raise TypeError(
                f'DetLogitDistiller needs two-stage detectors with an RPN and '
                f'a box RoI head (mmdet FasterRCNN), got {role} '
                f'{type(model).__name__}')
        if roi_head.with_shared_head or getattr(
                roi_head.bbox_head, 'custom_cls_channels', False):
            raise TypeError(
                f'the {role} box head must map RoI features to '
                '[num_rois, num_classes + 1] scores directly (no shared head, '
                'no custom classification channels)')

    def paired_logits(self, inputs: Tensor, data_samples: List,
                      teacher_inputs: Tensor
                      ) -> Tuple[Dict[str, Tensor], PairedLogits]:
        """The student's mmdet losses and the class logits of its sampled
        RoIs under both models.

        Args:
            inputs (Tensor): ``[B, 3, H, W]`` the student's batch.
            data_samples (list[DetDataSample]): with ``gt_instances``.
            teacher_inputs (Tensor): ``[B, 3, H', W']`` the teacher's.
        """
        student, roi_head = self.student, self.student.roi_head
        feats = student.extract_feat(inputs)
        losses, proposals = self._rpn_loss(feats, data_samples)
        sampling_results = self._sample_rois(feats, proposals, data_samples)
        # the student's own RoI losses; its cls_score is what loss_cls saw
        bbox_results = roi_head.bbox_loss(feats, sampling_results)
        losses.update(bbox_results['loss_bbox'])
        if roi_head.with_mask:
            gt_instances = [ds.gt_instances for ds in data_samples]
            losses.update(
                roi_head.mask_loss(feats, sampling_results,
                                   bbox_results['bbox_feats'],
                                   gt_instances)['loss_mask'])
        rois = _rois(sampling_results)
        labels = roi_head.bbox_head.get_targets(sampling_results,
                                                roi_head.train_cfg)[0]

        view_extractor = self.teacher_view_extractor \
            if self.uses_views else None
        t_logits, t_views = self.teacher_source.logits(
            lambda teacher, t_inputs: self._roi_logits(
                teacher, view_extractor, t_inputs, rois),
            teacher_inputs, data_samples, views=self.uses_views)
        s_views = None
        if self.uses_views:
            with frozen_norm_stats(roi_head.bbox_head):
                s_views = self._view_logits(
                    student, self.student_view_extractor, feats, rois)
        return losses, PairedLogits(
            student=bbox_results['cls_score'],
            teacher=t_logits,
            target=labels,
            student_views=s_views,
            teacher_views=t_views)

    @classmethod
    def _roi_logits(cls, model: nn.Module,
                    view_extractor: Optional[nn.Module], inputs: Tensor,
                    rois: Tensor) -> Tuple[Tensor, Optional[Tensor]]:
        """``model``'s class logits ``[R, num_classes + 1]`` of ``rois``
        (``[R, 5]``: image index, box) and, given a view extractor, their
        GL-DKD view logits ``[R, num_classes + 1, 5]``."""
        feats = model.extract_feat(inputs)
        logits = model.roi_head._bbox_forward(feats, rois)['cls_score']
        views = None if view_extractor is None else cls._view_logits(
            model, view_extractor, feats, rois)
        return logits, views

    def _rpn_loss(self, feats: Tuple[Tensor], data_samples: List):
        """mmdet ``TwoStageDetector.loss``'s RPN step: class-agnostic RPN
        losses (``loss_rpn_cls``, ``loss_rpn_bbox``) and the proposals."""
        student = self.student
        proposal_cfg = student.train_cfg.get('rpn_proposal',
                                             student.test_cfg.rpn)
        rpn_data_samples = copy.deepcopy(data_samples)
        for data_sample in rpn_data_samples:
            data_sample.gt_instances.labels = torch.zeros_like(
                data_sample.gt_instances.labels)
        rpn_losses, proposals = student.rpn_head.loss_and_predict(
            feats, rpn_data_samples, proposal_cfg=proposal_cfg)
        for key in list(rpn_losses):
            if 'loss' in key and 'rpn' not in key:
                rpn_losses[f'rpn_{key}'] = rpn_losses.pop(key)
        return rpn_losses, proposals

    def _sample_rois(self, feats: Tuple[Tensor], proposals: List,
                     data_samples: List) -> List:
        """The student RoI head's own assigner and sampler, per image, as
        ``StandardRoIHead.loss`` runs them."""
        from mmdet.models.utils import unpack_gt_instances
        roi_head = self.student.roi_head
        gt_instances, gt_ignore, _ = unpack_gt_instances(data_samples)
        results = []
        for i, proposal in enumerate(proposals):
            proposal.priors = proposal.pop('bboxes')
            assign = roi_head.bbox_assigner.assign(proposal, gt_instances[i],
                                                   gt_ignore[i])
            results.append(
                roi_head.bbox_sampler.sample(
                    assign,
                    proposal,
                    gt_instances[i],
                    feats=[level[i][None] for level in feats]))
        return results

    @staticmethod
    def _view_logits(model: nn.Module, extractor: nn.Module,
                     feats: Tuple[Tensor], rois: Tensor) -> Tensor:
        """``[R, num_classes + 1, 5]`` GL-DKD view logits of ``rois``."""
        roi_feats = extractor(feats[:extractor.num_inputs], rois)
        views = polyphase_views(roi_feats)  # [5, R, c, 7, 7]
        cls_score, _ = model.roi_head.bbox_head(views.flatten(0, 1))
        return cls_score.view(NUM_VIEWS, rois.shape[0],
                              -1).permute(1, 2, 0)


def _rois(sampling_results: List) -> Tensor:
    from mmdet.structures.bbox import bbox2roi
    return bbox2roi([res.priors for res in sampling_results])


def _double_resolution(extractor: nn.Module) -> nn.Module:
    """A copy of an RoI extractor pooling at twice its output size (7x7 ->
    14x14), with the same level mapping, strides and RoI layer settings."""
    layer = extractor.roi_layers[0]
    cfg = dict(
        type=type(layer),
        output_size=tuple(2 * s for s in layer.output_size))
    for key in ('sampling_ratio', 'pool_mode', 'aligned', 'use_torchvision'):
        if hasattr(layer, key):
            cfg[key] = getattr(layer, key)
    doubled = copy.deepcopy(extractor)
    doubled.roi_layers = doubled.build_roi_layers(cfg,
                                                  doubled.featmap_strides)
    return doubled
