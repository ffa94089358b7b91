# WSLD (Zhou et al., ICLR 2021) on the identity logits, as
# configs/wsld/reid_r50_r18_market1501.py: T 2, WSLD weight 2.5, CE weight 1.
_base_ = './_distill_.py'

model = dict(
    distill_losses=dict(
        wsld=dict(type='WSLDLoss', temperature=2.0, loss_weight=2.5)))
