# DKD: ResNet32x4 -> ShuffleNetV1 on CUB-200-2011.
# Reported top-1: 64.51 (SDD Tab. 5, LDRLD suppl. Tab. 22).
# alpha 1, beta 8 (SDD code cub200/dkd/res32x4_shuv1.yaml), T 4, CE 1, 20-epoch
# warm-up.
_base_ = ['../_base_/pairs/cub200_r32x4_shv1.py']

model = dict(
    distill_losses=dict(
        dkd=dict(
            type='DKDLoss', alpha=1.0, beta=8.0, temperature=4.0)),
    # distillation weight x min(epoch / 20, 1)
    distill_warmup=dict(by_epoch=True, length=20))
