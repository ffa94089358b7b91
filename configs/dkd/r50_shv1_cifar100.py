# DKD (Zhao et al., CVPR 2022): ResNet50 -> ShuffleNetV1 on CIFAR-100.
# Reported top-1: 77.01 (SDD Tab. 1).
# alpha 1, beta 8 (SDD code sdd_dkd/res50_shuv1.yaml), T 4, CE 1, 20-epoch
# warm-up.
_base_ = ['../_base_/pairs/cifar100_r50_shv1.py']

model = dict(
    distill_losses=dict(
        dkd=dict(
            type='DKDLoss', alpha=1.0, beta=8.0, temperature=4.0)),
    # distillation weight x min(epoch / 20, 1)
    distill_warmup=dict(by_epoch=True, length=20))
