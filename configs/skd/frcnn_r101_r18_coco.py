# SKD (Jeong et al., CVPR 2026) on the student's RoIs: Faster R-CNN FPN, R-101
# -> R-18 on COCO.
# Reported (LDRLD Tab. 21, val2017): not reported; teacher 42.04 AP, R-18
# student alone 33.26 AP.
# Settings: T 1, tikhonov 0.1, weight 1: KD's detection rule (no detection
# setting in the paper; the temperature of the DKD detection recipe). Cost: the
# direction term's covariance spans all ~1024 sampled RoIs of a batch (an N x N
# Cholesky), about 200x KD's loss time.
# Data, schedule, teacher and student: ../_base_/pairs/coco_frcnn_r101_r18.py.
_base_ = ['../_base_/pairs/coco_frcnn_r101_r18.py']

model = dict(
    distill_losses=dict(
        skd=dict(
            type='SKDLoss', temperature=1.0, tikhonov=0.1,
            loss_weight=1.0)))
