# SKD (Jeong et al., CVPR 2026): ResNet32x4 -> ResNet8x4 on CIFAR-100.
# Reported top-1: 78.33 (SKD official README, with the authors' own teacher,
# 79.34, and student baseline, 72.48; their KD with this recipe: 74.75).
# Settings: T 4, tikhonov 0.1, SKD weight 0.5, CE weight 0.5: the authors'
# values for this pair (the docstring of SKD in HyunJunSik/StreamLined,
# Distiller/SKD.py: "ce=0.5, kd=0.5 in ResNet8x4 - ResNet32x4"; also the
# defaults of its mdistiller/distillers/SKD.py).
# Recipe: the authors' CIFAR-100 script (./_cifar100_recipe.py: each epoch
# the training set twice, plain and with RandAugment; batch 64, lr 0.1).
_base_ = [
    '../_base_/pairs/models/cifar100_r32x4_r8x4.py',
    './_cifar100_recipe.py',
]

model = dict(
    student=dict(head=dict(loss=dict(loss_weight=0.5))),  # CE weight
    distill_losses=dict(
        skd=dict(
            type='SKDLoss', temperature=4.0, tikhonov=0.1,
            loss_weight=0.5)))
