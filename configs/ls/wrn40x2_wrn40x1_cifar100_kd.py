# KD + logit standardization (Sun et al., CVPR 2024): WRN-40-2 -> WRN-40-1 on
# CIFAR-100.
# Reported top-1: 74.37 (LS official README, identical-architecture table); KD
# alone 73.54.
# Z-score on both logits, base temperature 2, KD weight 9, CE weight 0.1
# (suppl. sec. 2; the official code's defaults).
# The official log of this row used (base temperature, KD weight) =
# (kd,wrn_40_2,wrn_40_1,2,9: 74.56).
_base_ = ['../_base_/pairs/cifar100_wrn40x2_wrn40x1.py']

model = dict(
    student=dict(head=dict(loss=dict(loss_weight=0.1))),  # CE weight
    distill_losses=dict(
        kd=dict(
            type='KDLoss',
            temperature=2.0,
            standardize=True,
            loss_weight=9.0)),
    distill_warmup=None)
