# SD-NKD (Wei et al., CVPR 2024): ResNet50 -> ShuffleNetV1 on CIFAR-100.
# Reported top-1: 76.95 (SDD Tab. 1).
# NKD inside: T 1, gamma 1.5, CE 1; scales {1, 2, 4} (heterogeneous pair),
# complementary weight 2, 30-epoch warm-up (SDD sec. 4.1).
_base_ = ['../_base_/pairs/cifar100_r50_shv1.py']

model = dict(
    distill_losses=dict(
        sdd=dict(
            type='ScaleDecoupledLoss',
            loss=dict(type='NKDLoss', temperature=1.0, gamma=1.5),
            complementary_weight=2.0)),
    sdd_scales=(1, 2, 4),  # cell grids of ScaleDecoupledLoss
    # distillation weight x min(epoch / 30, 1)
    distill_warmup=dict(by_epoch=True, length=30))
