# TTM (Zheng and Yang, ICLR 2024) on the identity logits, as
# configs/ttm/reid_r50_r18_market1501.py: l 0.1, TTM weight 45, CE weight 1.
_base_ = './_distill_.py'

model = dict(
    distill_losses=dict(ttm=dict(type='TTMLoss', power=0.1, loss_weight=45.0)))
