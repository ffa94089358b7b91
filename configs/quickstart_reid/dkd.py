# DKD (Zhao et al., CVPR 2022) on the identity logits, as
# configs/dkd/reid_r50_r18_market1501.py: alpha 1, beta 0.5, T 1, CE 1, the
# loss ramped up linearly over the first epoch.
_base_ = './_distill_.py'

model = dict(
    distill_losses=dict(
        dkd=dict(type='DKDLoss', alpha=1.0, beta=0.5, temperature=1.0)),
    distill_warmup=dict(length=1, by_epoch=True))
