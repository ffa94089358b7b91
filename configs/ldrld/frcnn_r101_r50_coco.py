# LDRLD (Liu et al., ICCV 2025): Faster R-CNN FPN, R-101 -> R-50 on COCO.
# Reported (LDRLD Tab. 21, val2017): AP 39.31 / AP50 61.06 / AP75 42.56;
# teacher 42.04 AP,
# R-50 student alone 37.93 AP.
# Settings: the paper gives no detection hyper-parameters. Our choice:
# DKD's detection setting carried over, T 1, alpha 1 (the local pair terms,
# DKD's TCKD weight) and beta 0.25 (RNTK, the remaining non-target classes,
# DKD's NCKD weight), k = 7 of the 81 classes (80 + background).
# The student's sampled RoIs are classified by both models' box heads
# (DetLogitDistiller); mmdet's own losses, data and 1x schedule.
# Teacher: Detectron2's faster_rcnn_R_101_FPN_3x (42.0 AP), converted with
# tools/model_converters/detectron2_to_mmdet.py (see configs/ldrld/README.md);
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
        ldrld=dict(
            type='LDRLDLoss', alpha=1.0, beta=0.25, k=7, temperature=1.0)))
