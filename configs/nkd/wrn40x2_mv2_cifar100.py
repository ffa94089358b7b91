# NKD (Yang et al., ICCV 2023): WRN-40-2 -> MobileNetV2 on CIFAR-100.
# Reported top-1: 68.85 (SDD Tab. 1).
# T 1, gamma 1.5, CE 1, 20-epoch warm-up (NKD baseline of the SDD code).
_base_ = ['../_base_/pairs/cifar100_wrn40x2_mv2.py']

model = dict(
    distill_losses=dict(
        nkd=dict(type='NKDLoss', temperature=1.0, gamma=1.5)),
    # distillation weight x min(epoch / 20, 1)
    distill_warmup=dict(by_epoch=True, length=20))
