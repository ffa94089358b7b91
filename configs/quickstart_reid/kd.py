# KD (Hinton et al., 2015) on the identity logits, as
# configs/kd/reid_r50_r18_market1501.py: T 1, KD weight 0.5, CE weight 0.5.
_base_ = './_distill_.py'

model = dict(
    student=dict(loss_weight=0.5),  # CE weight
    distill_losses=dict(
        kd=dict(type='KDLoss', temperature=1.0, loss_weight=0.5)))
