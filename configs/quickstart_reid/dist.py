# DIST (Huang et al., NeurIPS 2022) on the identity logits, as
# configs/dist/reid_r50_r18_market1501.py: T 1, beta = gamma = 1, DIST
# weight 2, CE weight 1.
_base_ = './_distill_.py'

model = dict(
    distill_losses=dict(
        dist=dict(
            type='DISTLoss',
            beta=1.0,
            gamma=1.0,
            temperature=1.0,
            loss_weight=2.0)))
