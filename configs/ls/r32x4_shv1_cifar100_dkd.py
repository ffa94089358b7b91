# DKD + logit standardization (Sun et al., CVPR 2024): ResNet32x4 ->
# ShuffleNetV1 on CIFAR-100.
# Reported top-1: 76.77 (LS suppl. Tab. 1); DKD alone 76.45.
# Z-score, base temperature 2, DKD weight 12 (alpha 1 x 12, beta 8 x 12 as in
# the official code), CE 1, DKD's 20-epoch warm-up (suppl. sec. 2).
_base_ = ['../_base_/pairs/cifar100_r32x4_shv1.py']

model = dict(
    distill_losses=dict(
        dkd=dict(
            type='DKDLoss',
            alpha=1.0,
            beta=8.0,
            temperature=2.0,
            standardize=True,
            loss_weight=12.0)),
    # distillation weight x min(epoch / 20, 1)
    distill_warmup=dict(by_epoch=True, length=20))
