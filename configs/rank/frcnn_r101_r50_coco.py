# Rank alignment (Lu et al., ICIC 2025):
# Faster R-CNN FPN, R-101 -> R-50 on COCO.
# Reported (LDRLD Tab. 21, val2017): not reported; teacher 42.04 AP,
# R-50 student alone 37.93 AP.
# Settings: soft ranks at eps 1, squared differences, weight 1 (no detection
# setting in the paper; untuned).
# Data, schedule, teacher and student: ../_base_/pairs/coco_frcnn_r101_r50.py.
_base_ = ['../_base_/pairs/coco_frcnn_r101_r50.py']

model = dict(
    distill_losses=dict(
        rank=dict(type='RankAlignLoss', loss_weight=1.0)))
