# DKD + logit standardization (Sun et al., CVPR 2024): WRN-40-2 -> WRN-40-1 on
# CIFAR-100.
# Reported top-1: 74.89 (LS official README, identical-architecture table); DKD
# alone 74.81.
# Z-score, base temperature 2, DKD weight 12 (alpha 1 x 12, beta 6 x 12 as in
# the official code, beta from the official DKD config of the pair), CE 1,
# DKD's 20-epoch warm-up (suppl. sec. 2).
# The official log of this row used (base temperature, weight[, beta]) =
# (dkd,wrn_40_2,wrn_40_1,2,12,2.0: 74.93).
_base_ = ['../_base_/pairs/cifar100_wrn40x2_wrn40x1.py']

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
