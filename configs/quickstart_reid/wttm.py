# WTTM (Zheng and Yang, ICLR 2024) on the identity logits, as
# configs/wttm/reid_r50_r18_market1501.py: l 0.2, WTTM weight 4, CE weight 1.
_base_ = './_distill_.py'

model = dict(
    distill_losses=dict(
        wttm=dict(type='WTTMLoss', power=0.2, loss_weight=4.0)))
