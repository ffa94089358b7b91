# DKD + logit standardization (Sun et al., CVPR 2024):
# Faster R-CNN FPN, R-101 -> R-18 on COCO.
# Reported (LDRLD Tab. 21, val2017): not reported; teacher 42.04 AP,
# R-18 student alone 33.26 AP.
# Settings: DKD's detection setting (alpha 1, beta 0.25) with standardized
# logits at LS's base temperature 2 (seed 002 sec. 3.6: "the exact settings
# of ReviewKD and DKD"; its Tab. 6 is not in our text of the paper).
# Data, schedule, teacher and student: ../_base_/pairs/coco_frcnn_r101_r18.py.
_base_ = ['../_base_/pairs/coco_frcnn_r101_r18.py']

model = dict(
    distill_losses=dict(
        dkd_ls=dict(
            type='DKDLoss',
            alpha=1.0,
            beta=0.25,
            temperature=2.0,
            standardize=True)))
