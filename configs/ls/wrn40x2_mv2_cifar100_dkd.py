# DKD + logit standardization (Sun et al., CVPR 2024): WRN-40-2 -> MobileNetV2
# on CIFAR-100.
# Reported top-1: 70.01 (LS official README, distinct-architecture table); DKD
# alone 69.28.
# Z-score, base temperature 2, DKD weight 12 (alpha 1 x 12, beta 6 x 12 as in
# the official code; beta: the SDD code's DKD config of the pair), CE 1, DKD's
# 20-epoch warm-up (suppl. sec. 2).
# The official log of this row used (base temperature, weight[, beta]) =
# (dkd,wrn_40_2,MobileNetV2,2,15,2.0: 70.24).
_base_ = ['../_base_/pairs/cifar100_wrn40x2_mv2.py']

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
