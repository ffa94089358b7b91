# DKD (Zhao et al., CVPR 2022): Faster R-CNN FPN, R-101 -> R-50 on COCO.
# Reported (LDRLD Tab. 21, val2017): AP 39.01 / AP50 60.41 / AP75 42.33;
# teacher 42.04 AP,
# R-50 student alone 37.93 AP.
# Settings: the official detection setting (mdistiller detection/): alpha 1,
# beta 0.25, T 1, no warm-up, mean over the sampled RoIs.
# Data, schedule, teacher and student: ../_base_/pairs/coco_frcnn_r101_r50.py.
_base_ = ['../_base_/pairs/coco_frcnn_r101_r50.py']

model = dict(
    distill_losses=dict(
        dkd=dict(
            type='DKDLoss', alpha=1.0, beta=0.25, temperature=1.0)))
