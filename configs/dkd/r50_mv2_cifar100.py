# DKD (Zhao et al., CVPR 2022): ResNet50 -> MobileNetV2 on CIFAR-100.
# Reported top-1: 70.35 (rank-align Tab. 2, SDD Tab. 2).
# alpha 1, beta 8 (mdistiller dkd/res50_mv2.yaml), T 4, CE 1, 20-epoch warm-up.
_base_ = ['../_base_/pairs/cifar100_r50_mv2.py']

model = dict(
    distill_losses=dict(
        dkd=dict(
            type='DKDLoss', alpha=1.0, beta=8.0, temperature=4.0)),
    # distillation weight x min(epoch / 20, 1)
    distill_warmup=dict(by_epoch=True, length=20))
