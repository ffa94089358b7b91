# DKD (Zhao et al., CVPR 2022): ResNet110 -> ResNet20 on CIFAR-100.
# Reported top-1: 70.91 (LDRLD suppl. Tab. 18, LDRLD suppl. Tab. 19).
# alpha 1, beta 2 (no official config; DKD rule for ResNet56/110 teachers), T
# 4, CE 1, 20-epoch warm-up.
_base_ = ['../_base_/pairs/cifar100_r110_r20.py']

model = dict(
    distill_losses=dict(
        dkd=dict(
            type='DKDLoss', alpha=1.0, beta=2.0, temperature=4.0)),
    # distillation weight x min(epoch / 20, 1)
    distill_warmup=dict(by_epoch=True, length=20))
