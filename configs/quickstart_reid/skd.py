# SKD (Jeong et al., CVPR 2026) on the identity logits, as
# configs/skd/reid_r50_r18_market1501.py: T 1, tikhonov 0.1, SKD weight 0.9,
# CE weight 0.1.
_base_ = './_distill_.py'

model = dict(
    student=dict(loss_weight=0.1),  # CE weight
    distill_losses=dict(
        skd=dict(
            type='SKDLoss', temperature=1.0, tikhonov=0.1,
            loss_weight=0.9)))
