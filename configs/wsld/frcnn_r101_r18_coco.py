# WSLD (Zhou et al., ICLR 2021) on the student's RoIs: Faster R-CNN FPN, R-101
# -> R-18 on COCO.
# Reported (LDRLD Tab. 21, val2017): not reported; teacher 42.04 AP, R-18
# student alone 33.26 AP.
# Settings: T 1, weight 1: KD's detection rule (no detection setting in the
# paper; the temperature of the DKD detection recipe). The weights' targets are
# the sampler's RoI labels, background included.
# Data, schedule, teacher and student: ../_base_/pairs/coco_frcnn_r101_r18.py.
_base_ = ['../_base_/pairs/coco_frcnn_r101_r18.py']

model = dict(
    distill_losses=dict(
        wsld=dict(type='WSLDLoss', temperature=1.0, loss_weight=1.0)))
