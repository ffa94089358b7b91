# DKD + logit standardization (Sun et al., CVPR 2024): ResNet56 -> ResNet20 on
# CIFAR-100.
# Reported top-1: 72.32 (LS official README, identical-architecture table); DKD
# alone 71.97.
# Z-score, base temperature 2, DKD weight 12 (alpha 1 x 12, beta 2 x 12 as in
# the official code, beta from the official DKD config of the pair), CE 1,
# DKD's 20-epoch warm-up (suppl. sec. 2).
# The official log of this row used (base temperature, weight[, beta]) =
# (dkd,resnet56,resnet20,3,18,2.0: 72.24).
_base_ = ['../_base_/pairs/cifar100_r56_r20.py']

model = dict(
    distill_losses=dict(
        dkd=dict(
            type='DKDLoss',
            alpha=1.0,
            beta=2.0,
            temperature=2.0,
            standardize=True,
            loss_weight=12.0)),
    # distillation weight x min(epoch / 20, 1)
    distill_warmup=dict(by_epoch=True, length=20))
