# KD (Hinton et al., 2015) on the student's RoIs:
# Faster R-CNN FPN, R-101 -> R-18 on COCO.
# Reported (LDRLD Tab. 21, val2017): AP 33.97 / AP50 54.66 / AP75 36.62;
# teacher 42.04 AP,
# R-18 student alone 33.26 AP.
# Settings: T 1, weight 1 (no detection setting in the papers; the
# temperature of the DKD detection recipe).
# Data, schedule, teacher and student: ../_base_/pairs/coco_frcnn_r101_r18.py.
_base_ = ['../_base_/pairs/coco_frcnn_r101_r18.py']

model = dict(
    distill_losses=dict(
        kd=dict(type='KDLoss', temperature=1.0, loss_weight=1.0)))
