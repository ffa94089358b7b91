# TTM (Zheng and Yang, ICLR 2024): ResNet34 -> ResNet18 on ImageNet-1k.
# Reported top-1: none (the TTM official README reports WTTM only).
# Settings: l 0.1 (the teacher at temperature 1 / l = 10, the student at 1),
# TTM weight 45, CE weight 1: no ImageNet setting is published (the official
# code is CIFAR-100 only), so the CIFAR-100 one, the one TTM setting the
# official code publishes (zkxufo/TTM README: `--distill ttm --ttm_l 0.1 -r 1
# -b 45`, VGG13 -> VGG8). With 1000 classes a teacher at temperature 1 / l is
# flatter than with 100: the weight is the first thing to tune.
# Recipe: the pair's (DKD / mdistiller: batch 512, lr 0.2, 100 epochs).
_base_ = ['../_base_/pairs/imagenet_r34_r18.py']

model = dict(
    distill_losses=dict(
        ttm=dict(type='TTMLoss', power=0.1, loss_weight=45.0)))
