# LDRLD (Liu et al., ICCV 2025): Faster R-CNN FPN, R-101 -> R-18 on COCO.
# Reported (LDRLD Tab. 21, val2017): AP 35.12 / AP50 56.79 / AP75 37.57;
# teacher 42.04 AP,
# R-18 student alone 33.26 AP.
# Settings: the paper gives no detection hyper-parameters. Our choice:
# DKD's detection setting carried over, T 1, alpha 1 (the local pair terms,
# DKD's TCKD weight) and beta 0.25 (RNTK, the remaining non-target classes,
# DKD's NCKD weight), k = 7 of the 81 classes (80 + background).
# Data, schedule, teacher and student: ../_base_/pairs/coco_frcnn_r101_r18.py.
_base_ = ['../_base_/pairs/coco_frcnn_r101_r18.py']

model = dict(
    distill_losses=dict(
        ldrld=dict(
            type='LDRLDLoss', alpha=1.0, beta=0.25, k=7, temperature=1.0)))
