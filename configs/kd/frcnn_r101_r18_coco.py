# KD (Hinton et al., 2015) on the student's RoIs:
# Faster R-CNN FPN, R-101 -> R-18 on COCO.
# Reported (LDRLD Tab. 21, val2017): AP 33.97 / AP50 54.66 / AP75 36.62;
# teacher 42.04 AP,
# R-18 student alone 33.26 AP.
# Settings: T 1, weight 1 (no detection setting in the papers; the
# temperature of the DKD detection recipe).
# The student's sampled RoIs are classified by both models' box heads
# (DetLogitDistiller); mmdet's own losses, data and 1x schedule.
# Teacher: Detectron2's faster_rcnn_R_101_FPN_3x (42.0 AP), converted with
# tools/model_converters/detectron2_to_mmdet.py (see configs/kd/README.md);
# it keeps its own BGR / std-1 normalisation.
_base_ = ['../_base_/det/frcnn_coco_1x_distill.py']

model = dict(
    _scope_='mmlogitkd',
    type='DetLogitDistiller',
    student=dict(cfg_path='mmlogitkd::_base_/models/frcnn_r18_fpn.py'),
    teacher=dict(
        cfg_path='mmlogitkd::_base_/models/frcnn_r101_fpn_caffe_d2.py'),
    teacher_ckpt='checkpoints/coco/faster_rcnn_R_101_FPN_3x_d2.pth',
    distill_losses=dict(
        kd=dict(type='KDLoss', temperature=1.0, loss_weight=1.0)))
