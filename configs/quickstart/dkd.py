# DKD (Zhao et al., CVPR 2022): alpha 1, beta 8, T 4, CE 1, the loss ramped
# up linearly over the first epochs (20 of 240 in the paper, 5 of 40 here).
_base_ = './_distill_.py'

model = dict(
    distill_losses=dict(
        dkd=dict(type='DKDLoss', alpha=1.0, beta=8.0, temperature=4.0)),
    distill_warmup=dict(length=5, by_epoch=True))
