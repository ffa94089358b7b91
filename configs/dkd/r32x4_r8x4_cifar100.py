# DKD (Zhao et al., CVPR 2022): ResNet32x4 -> ResNet8x4 on CIFAR-100.
# Reported top-1: 76.32 (rank-align Tab. 1, LDRLD suppl. Tab. 16, LDRLD suppl.
# Tab. 18).
# alpha 1, beta 8 (mdistiller dkd/res32x4_res8x4.yaml), T 4, CE 1, 20-epoch
# warm-up.
_base_ = ['../_base_/pairs/cifar100_r32x4_r8x4.py']

model = dict(
    distill_losses=dict(
        dkd=dict(
            type='DKDLoss', alpha=1.0, beta=8.0, temperature=4.0)),
    # distillation weight x min(epoch / 20, 1)
    distill_warmup=dict(by_epoch=True, length=20))
