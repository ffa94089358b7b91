# DIST (Huang et al., NeurIPS 2022) on the student's RoIs: Faster R-CNN FPN,
# R-101 -> R-50 on COCO.
# Reported (LDRLD Tab. 21, val2017): not reported; teacher 42.04 AP, R-50
# student alone 37.93 AP.
# Settings: T 1, beta = gamma = 1, weight 1: DIST's own detection setting
# (hunto/MasKD,
# mmrazor/configs/distill/dist/dist_cascade_mask_rcnn_x101-fpn_x50_coco.py:
# DIST on the box head's class logits of the student's RoIs, no temperature,
# loss_weight 1), which is also KD's detection rule here.
# Data, schedule, teacher and student: ../_base_/pairs/coco_frcnn_r101_r50.py.
_base_ = ['../_base_/pairs/coco_frcnn_r101_r50.py']

model = dict(
    distill_losses=dict(
        dist=dict(
            type='DISTLoss',
            beta=1.0,
            gamma=1.0,
            temperature=1.0,
            loss_weight=1.0)))
