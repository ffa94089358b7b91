# KD (Hinton et al., 2015) on the student's RoIs:
# Faster R-CNN FPN, R-101 -> R-50 on COCO.
# Reported (LDRLD Tab. 21, val2017): AP 38.35 / AP50 59.41 / AP75 41.71;
# teacher 42.04 AP,
# R-50 student alone 37.93 AP.
# Settings: T 1, weight 1 (no detection setting in the papers; the
# temperature of the DKD detection recipe).
# Data, schedule, teacher and student: ../_base_/pairs/coco_frcnn_r101_r50.py.
_base_ = ['../_base_/pairs/coco_frcnn_r101_r50.py']

model = dict(
    distill_losses=dict(
        kd=dict(type='KDLoss', temperature=1.0, loss_weight=1.0)))
