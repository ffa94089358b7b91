# SKD (Jeong et al., CVPR 2026): ResNet56 -> ResNet20 on CIFAR-100.
# Reported top-1: 72.50 (SKD official README, with the authors' own teacher,
# 72.40, and student baseline, 65.79; their KD with this recipe: 71.74).
# Settings: T 4, tikhonov 0.1, SKD weight 0.9, CE weight 0.1: the defaults of
# the authors' Distiller/SKD.py (HyunJunSik/StreamLined), which its CIFAR-100
# script uses; the docstring says each pair had its own optimum, published for
# ResNet32x4 -> ResNet8x4 only.
# Recipe: the authors' CIFAR-100 script (./_cifar100_recipe.py: each epoch
# the training set twice, plain and with RandAugment; batch 64, lr 0.1).
_base_ = [
    '../_base_/pairs/models/cifar100_r56_r20.py',
    './_cifar100_recipe.py',
]

model = dict(
    student=dict(head=dict(loss=dict(loss_weight=0.1))),  # CE weight
    distill_losses=dict(
        skd=dict(
            type='SKDLoss', temperature=4.0, tikhonov=0.1,
            loss_weight=0.9)))
