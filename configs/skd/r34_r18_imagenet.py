# SKD (Jeong et al., CVPR 2026): ResNet34 -> ResNet18 on ImageNet-1k.
# Reported top-1: not in our sources (the SKD official README has CIFAR-100
# only).
# Settings of the authors' ImageNet script (HyunJunSik/StreamLined,
# ImageNet/Utils/distillation_train.py, ResNet34 -> ResNet18): T 1, tikhonov
# 0.1, SKD weight 0.9, CE weight 0.1 (Distiller/SKD.py defaults); its recipe
# (batch 64 on one GPU, lr 0.1): ./_imagenet_recipe.py.
_base_ = [
    '../_base_/pairs/models/imagenet_r34_r18.py',
    './_imagenet_recipe.py',
]

model = dict(
    student=dict(head=dict(loss=dict(loss_weight=0.1))),  # CE weight
    distill_losses=dict(
        skd=dict(
            type='SKDLoss', temperature=1.0, tikhonov=0.1,
            loss_weight=0.9)))
