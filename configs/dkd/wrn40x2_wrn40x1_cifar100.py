# DKD (Zhao et al., CVPR 2022): WRN-40-2 -> WRN-40-1 on CIFAR-100.
# Reported top-1: 74.81 (rank-align Tab. 1).
# alpha 1, beta 6 (mdistiller dkd/wrn40_2_wrn_40_1.yaml), T 4, CE 1, 20-epoch
# warm-up.
_base_ = ['../_base_/pairs/cifar100_wrn40x2_wrn40x1.py']

model = dict(
    distill_losses=dict(
        dkd=dict(
            type='DKDLoss', alpha=1.0, beta=6.0, temperature=4.0)),
    # distillation weight x min(epoch / 20, 1)
    distill_warmup=dict(by_epoch=True, length=20))
