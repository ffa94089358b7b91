# KD (Hinton et al., 2015): ResNet50 -> ShuffleNetV1 on CIFAR-100.
# Reported top-1: 75.82 (SDD Tab. 1).
# mdistiller CIFAR-100 recipe: T 4, KD weight 0.9, CE weight 0.1.
_base_ = ['../_base_/pairs/cifar100_r50_shv1.py']

model = dict(
    student=dict(head=dict(loss=dict(loss_weight=0.1))),  # CE weight
    distill_losses=dict(
        kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9)),
    distill_warmup=None)
