# DKD (Zhao et al., CVPR 2022): ResNet32x4 -> MobileNetV2 on CIFAR-100.
# Reported top-1: 68.98 (SDD Tab. 1).
# alpha 1, beta 8 (SDD code sdd_dkd/res32x4_mv2.yaml), T 4, CE 1, 20-epoch
# warm-up.
_base_ = ['../_base_/pairs/cifar100_r32x4_mv2.py']

model = dict(
    distill_losses=dict(
        dkd=dict(
            type='DKDLoss', alpha=1.0, beta=8.0, temperature=4.0)),
    # distillation weight x min(epoch / 20, 1)
    distill_warmup=dict(by_epoch=True, length=20))
