# SDD as GL-DKD (Wei et al., CVPR 2024), the official detection variant:
# Faster R-CNN FPN, R-101 -> R-18 on COCO.
# Reported (LDRLD Tab. 21, val2017): not reported; teacher 42.04 AP,
# R-18 student alone 33.26 AP.
# Settings: the official GL-DKD code: RoIs pooled at 14x14, the global view
# its 7x7 average, four polyphase 7x7 local views, each through each model's
# box head; DKD (alpha 1, beta 0.25, T 2) on each of the 5 views with the RoI
# labels, plain mean over the views (complementary weight 1), a view with an
# infinite loss skipped.
# The student's sampled RoIs are classified by both models' box heads
# (DetLogitDistiller); mmdet's own losses, data and 1x schedule.
# Teacher: Detectron2's faster_rcnn_R_101_FPN_3x (42.0 AP), converted with
# tools/model_converters/detectron2_to_mmdet.py (see configs/sdd/README.md);
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
        sdd=dict(
            type='ScaleDecoupledLoss',
            loss=dict(type='DKDLoss', alpha=1.0, beta=0.25, temperature=2.0),
            complementary_weight=1.0,
            skip_nonfinite_views=True)))
