# KD + logit standardization (Sun et al., CVPR 2024): ResNet32x4 -> VGG8 on
# CIFAR-100.
# Reported top-1: 73.23 (LS suppl. Tab. 1); KD alone 72.73.
# Z-score on both logits, base temperature 2, KD weight 9, CE weight 0.1
# (suppl. sec. 2).
_base_ = ['../_base_/pairs/cifar100_r32x4_vgg8.py']

model = dict(
    student=dict(head=dict(loss=dict(loss_weight=0.1))),  # CE weight
    distill_losses=dict(
        kd=dict(
            type='KDLoss',
            temperature=2.0,
            standardize=True,
            loss_weight=9.0)),
    distill_warmup=None)
