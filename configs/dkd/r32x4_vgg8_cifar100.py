# DKD (Zhao et al., CVPR 2022): ResNet32x4 -> VGG8 on CIFAR-100.
# Reported top-1: 74.48 (LS suppl. Tab. 1).
# alpha 1, beta 6 (SDD code dkd/resnet32x4_vgg8.yaml), T 4, CE 1, 20-epoch
# warm-up.
_base_ = ['../_base_/pairs/cifar100_r32x4_vgg8.py']

model = dict(
    distill_losses=dict(
        dkd=dict(
            type='DKDLoss', alpha=1.0, beta=6.0, temperature=4.0)),
    # distillation weight x min(epoch / 20, 1)
    distill_warmup=dict(by_epoch=True, length=20))
