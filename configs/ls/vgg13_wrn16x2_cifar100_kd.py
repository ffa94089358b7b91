# KD + logit standardization (Sun et al., CVPR 2024): VGG13 -> WRN-16-2 on
# CIFAR-100.
# Reported top-1: 75.03 (LS suppl. Tab. 5, read from a garbled text extract;
# this column is not in the LS official README, so unconfirmed).
# Z-score on both logits, base temperature 2, KD weight 9, CE weight 0.1
# (suppl. sec. 2).
_base_ = ['../_base_/pairs/cifar100_vgg13_wrn16x2.py']

model = dict(
    student=dict(head=dict(loss=dict(loss_weight=0.1))),  # CE weight
    distill_losses=dict(
        kd=dict(
            type='KDLoss',
            temperature=2.0,
            standardize=True,
            loss_weight=9.0)),
    distill_warmup=None)
