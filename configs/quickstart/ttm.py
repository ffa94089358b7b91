# TTM (Zheng and Yang, ICLR 2024) as configs/ttm/r32x4_r8x4_cifar100.py:
# the teacher's probabilities raised to the power l 0.1 and renormalised,
# TTM weight 45, CE weight 1 (the only published setting; see that
# config).
_base_ = './_distill_.py'

model = dict(
    distill_losses=dict(ttm=dict(type='TTMLoss', power=0.1, loss_weight=45.0)))
