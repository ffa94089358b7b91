# DKD (Zhao et al., CVPR 2022): VGG13 -> VGG8 on CIFAR-100.
# Reported top-1: 74.68 (rank-align Tab. 1).
# alpha 1, beta 6 (mdistiller dkd/vgg13_vgg8.yaml), T 4, CE 1, 20-epoch warm-
# up.
_base_ = ['../_base_/pairs/cifar100_vgg13_vgg8.py']

model = dict(
    distill_losses=dict(
        dkd=dict(
            type='DKDLoss', alpha=1.0, beta=6.0, temperature=4.0)),
    # distillation weight x min(epoch / 20, 1)
    distill_warmup=dict(by_epoch=True, length=20))
