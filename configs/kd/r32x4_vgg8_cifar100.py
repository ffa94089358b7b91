# KD (Hinton et al., 2015): ResNet32x4 -> VGG8 on CIFAR-100.
# Reported top-1: 72.73 (LS suppl. Tab. 1).
# mdistiller CIFAR-100 recipe: T 4, KD weight 0.9, CE weight 0.1.
_base_ = ['../_base_/pairs/cifar100_r32x4_vgg8.py']

model = dict(
    student=dict(head=dict(loss=dict(loss_weight=0.1))),  # CE weight
    distill_losses=dict(
        kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9)),
    distill_warmup=None)
