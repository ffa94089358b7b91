# NKD (Yang et al., ICCV 2023): Faster R-CNN FPN, R-101 -> R-50 on COCO.
# Reported (LDRLD Tab. 21, val2017): not reported; teacher 42.04 AP,
# R-50 student alone 37.93 AP.
# Settings: the classification defaults, T 1, gamma 1.5 (no detection
# setting in the papers).
# Data, schedule, teacher and student: ../_base_/pairs/coco_frcnn_r101_r50.py.
_base_ = ['../_base_/pairs/coco_frcnn_r101_r50.py']

model = dict(
    distill_losses=dict(
        nkd=dict(type='NKDLoss', temperature=1.0, gamma=1.5)))
