# WTTM (Zheng and Yang, ICLR 2024) as configs/wttm/r32x4_r8x4_cifar100.py:
# TTM weighted per sample by the power-transformed teacher's Renyi entropy,
# l 0.2, WTTM weight 4, CE weight 1.
_base_ = './_distill_.py'

model = dict(
    distill_losses=dict(
        wttm=dict(type='WTTMLoss', power=0.2, loss_weight=4.0)))
