# SDD as GL-DKD (Wei et al., CVPR 2024), the official detection variant:
# Faster R-CNN FPN, R-101 -> R-18 on COCO.
# Reported (LDRLD Tab. 21, val2017): not reported; teacher 42.04 AP,
# R-18 student alone 33.26 AP.
# Settings: the official GL-DKD code: RoIs pooled at 14x14, the global view
# its 7x7 average, four polyphase 7x7 local views, each through each model's
# box head; DKD (alpha 1, beta 0.25, T 2) on each of the 5 views with the RoI
# labels, plain mean over the views (complementary weight 1), a view with an
# infinite loss skipped.
# Data, schedule, teacher and student: ../_base_/pairs/coco_frcnn_r101_r18.py.
_base_ = ['../_base_/pairs/coco_frcnn_r101_r18.py']

model = dict(
    distill_losses=dict(
        sdd=dict(
            type='ScaleDecoupledLoss',
            loss=dict(type='DKDLoss', alpha=1.0, beta=0.25, temperature=2.0),
            complementary_weight=1.0,
            skip_nonfinite_views=True)))
