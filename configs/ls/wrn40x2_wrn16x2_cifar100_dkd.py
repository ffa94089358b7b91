# DKD + logit standardization (Sun et al., CVPR 2024): WRN-40-2 -> WRN-16-2 on
# CIFAR-100.
# Reported top-1: 76.39 (LS suppl. Tab. 5; confirmed by the LS official
# README, identical-architecture table); DKD alone 76.24.
# Z-score, base temperature 2, DKD weight 12 (alpha 1 x 12, beta 6 x 12 as in
# the official code), CE 1, DKD's 20-epoch warm-up (suppl. sec. 2).
_base_ = ['../_base_/pairs/cifar100_wrn40x2_wrn16x2.py']

model = dict(
    distill_losses=dict(
        dkd=dict(
            type='DKDLoss',
            alpha=1.0,
            beta=6.0,
            temperature=2.0,
            standardize=True,
            loss_weight=12.0)),
    # distillation weight x min(epoch / 20, 1)
    distill_warmup=dict(by_epoch=True, length=20))
