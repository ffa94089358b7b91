# DKD (Zhao et al., CVPR 2022): Faster R-CNN FPN, R-101 -> R-18 on COCO.
# Reported (LDRLD Tab. 21, val2017): AP 34.88 / AP50 56.16 / AP75 37.08;
# teacher 42.04 AP,
# R-18 student alone 33.26 AP.
# Settings: the official detection setting (mdistiller detection/): alpha 1,
# beta 0.25, T 1, no warm-up, mean over the sampled RoIs.
# The student's sampled RoIs are classified by both models' box heads
# (DetLogitDistiller); mmdet's own losses, data and 1x schedule.
# Teacher: Detectron2's faster_rcnn_R_101_FPN_3x (42.0 AP), converted with
# tools/model_converters/detectron2_to_mmdet.py (see configs/dkd/README.md);
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
        dkd=dict(
            type='DKDLoss', alpha=1.0, beta=0.25, temperature=1.0)))
