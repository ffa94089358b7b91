# DKD (Zhao et al., CVPR 2022): ResNet110 -> ResNet32 on CIFAR-100.
# Reported top-1: 74.11 (rank-align Tab. 1, LDRLD suppl. Tab. 18).
# alpha 1, beta 2 (mdistiller dkd/res110_res32.yaml), T 4, CE 1, 20-epoch warm-
# up.
_base_ = ['../_base_/pairs/cifar100_r110_r32.py']

model = dict(
    distill_losses=dict(
        dkd=dict(
            type='DKDLoss', alpha=1.0, beta=2.0, temperature=4.0)),
    # distillation weight x min(epoch / 20, 1)
    distill_warmup=dict(by_epoch=True, length=20))
