# DKD + logit standardization (Sun et al., CVPR 2024): VGG13 -> MobileNetV2 on
# CIFAR-100.
# Reported top-1: 69.98 (LS official README, distinct-architecture table); DKD
# alone 69.71.
# Z-score, base temperature 2, DKD weight 12 (alpha 1 x 12, beta 6 x 12 as in
# the official code; beta: the official DKD config of the pair), CE 1, DKD's
# 20-epoch warm-up (suppl. sec. 2).
# The official log of this row used (base temperature, weight[, beta]) =
# (dkd,vgg13,MobileNetV2,3,9,2.0: 70.12).
_base_ = ['../_base_/pairs/cifar100_vgg13_mv2.py']

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
