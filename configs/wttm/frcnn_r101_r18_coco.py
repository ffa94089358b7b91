# WTTM (Zheng and Yang, ICLR 2024) on the student's RoIs: Faster R-CNN FPN,
# R-101 -> R-18 on COCO.
# Reported (LDRLD Tab. 21, val2017): not reported; teacher 42.04 AP, R-18
# student alone 33.26 AP.
# Settings: l 0.2 (the published one), weight 1: KD's detection rule (weight 1
# beside mmdet's losses; no detection setting in the paper). The rule's
# temperature 1 would be l = 1, which makes WTTM KD at T 1; the exponent is
# kept, and WTTM has no T^2 factor, so weight 1 gives gradients of KD's size at
# weight 1.
# Data, schedule, teacher and student: ../_base_/pairs/coco_frcnn_r101_r18.py.
_base_ = ['../_base_/pairs/coco_frcnn_r101_r18.py']

model = dict(
    distill_losses=dict(
        wttm=dict(type='WTTMLoss', power=0.2, loss_weight=1.0)))
