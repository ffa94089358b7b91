# DKD + logit standardization (Sun et al., CVPR 2024):
# Faster R-CNN FPN, R-101 -> R-50 on COCO.
# Reported (LDRLD Tab. 21, val2017): not reported; teacher 42.04 AP,
# R-50 student alone 37.93 AP.
# Settings: DKD's detection setting (alpha 1, beta 0.25) with standardized
# logits at LS's base temperature 2 (seed 002 sec. 3.6: "the exact settings
# of ReviewKD and DKD"; its Tab. 6 is not in our text of the paper).
# The student's sampled RoIs are classified by both models' box heads
# (DetLogitDistiller); mmdet's own losses, data and 1x schedule.
# Teacher: Detectron2's faster_rcnn_R_101_FPN_3x (42.0 AP), converted with
# tools/model_converters/detectron2_to_mmdet.py (see configs/ls/README.md);
# it keeps its own BGR / std-1 normalisation.
_base_ = ['../_base_/det/frcnn_coco_1x_distill.py']

model = dict(
    _scope_='mmlogitkd',
    type='DetLogitDistiller',
    student=dict(cfg_path='mmdet::_base_/models/faster-rcnn_r50_fpn.py'),
    teacher=dict(
        cfg_path='mmlogitkd::_base_/models/frcnn_r101_fpn_caffe_d2.py'),
    teacher_ckpt='checkpoints/coco/faster_rcnn_R_101_FPN_3x_d2.pth',
    distill_losses=dict(
        dkd_ls=dict(
            type='DKDLoss',
            alpha=1.0,
            beta=0.25,
            temperature=2.0,
            standardize=True)))
