# DKD (Zhao et al., CVPR 2022): Faster R-CNN FPN, R-101 -> R-18 on COCO.
# Reported (LDRLD Tab. 21, val2017): AP 34.88 / AP50 56.16 / AP75 37.08;
# teacher 42.04 AP,
# R-18 student alone 33.26 AP.
# Settings: the official detection setting (mdistiller detection/): alpha 1,
# beta 0.25, T 1, no warm-up, mean over the sampled RoIs.
# Data, schedule, teacher and student: ../_base_/pairs/coco_frcnn_r101_r18.py.
_base_ = ['../_base_/pairs/coco_frcnn_r101_r18.py']

model = dict(
    distill_losses=dict(
        dkd=dict(
            type='DKDLoss', alpha=1.0, beta=0.25, temperature=1.0)))
