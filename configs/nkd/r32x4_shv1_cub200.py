# NKD: ResNet32x4 -> ShuffleNetV1 on CUB-200-2011.
# Reported top-1: 64.00 (SDD Tab. 5, LDRLD suppl. Tab. 22).
# T 1, gamma 1.5, CE 1, 20-epoch warm-up (NKD baseline of the SDD code).
_base_ = ['../_base_/pairs/cub200_r32x4_shv1.py']

model = dict(
    distill_losses=dict(
        nkd=dict(type='NKDLoss', temperature=1.0, gamma=1.5)),
    # distillation weight x min(epoch / 20, 1)
    distill_warmup=dict(by_epoch=True, length=20))
