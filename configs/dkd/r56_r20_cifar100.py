# DKD (Zhao et al., CVPR 2022): ResNet56 -> ResNet20 on CIFAR-100.
# Reported top-1: 71.97 (rank-align Tab. 1, LDRLD suppl. Tab. 19).
# alpha 1, beta 2 (mdistiller dkd/res56_res20.yaml), T 4, CE 1, 20-epoch warm-
# up.
_base_ = ['../_base_/pairs/cifar100_r56_r20.py']

model = dict(
    distill_losses=dict(
        dkd=dict(
            type='DKDLoss', alpha=1.0, beta=2.0, temperature=4.0)),
    # distillation weight x min(epoch / 20, 1)
    distill_warmup=dict(by_epoch=True, length=20))
