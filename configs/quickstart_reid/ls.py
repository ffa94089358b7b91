# KD + logit standardization (Sun et al., CVPR 2024), as
# configs/ls/reid_r50_r18_market1501.py: both logit vectors Z-scored before
# the softmax, base temperature 2, KD weight 9, CE weight 0.1.
_base_ = './_distill_.py'

model = dict(
    student=dict(loss_weight=0.1),  # CE weight
    distill_losses=dict(
        kd=dict(
            type='KDLoss', temperature=2.0, standardize=True,
            loss_weight=9.0)))
