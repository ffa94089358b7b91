# SD-KD (Wei et al., CVPR 2024): WRN-40-2 -> ShuffleNetV1 on CIFAR-100.
# Reported top-1: 76.65 (SDD Tab. 2).
# KD inside: T 4, KD weight 0.9, CE weight 0.1; scales {1, 2, 4} (heterogeneous
# pair), complementary weight 2, 30-epoch warm-up (SDD sec. 4.1).
_base_ = ['../_base_/pairs/cifar100_wrn40x2_shv1.py']

model = dict(
    student=dict(head=dict(loss=dict(loss_weight=0.1))),  # CE weight
    distill_losses=dict(
        sdd=dict(
            type='ScaleDecoupledLoss',
            loss=dict(type='KDLoss', temperature=4.0),
            complementary_weight=2.0,
            loss_weight=0.9)),
    sdd_scales=(1, 2, 4),  # cell grids of ScaleDecoupledLoss
    # distillation weight x min(epoch / 30, 1)
    distill_warmup=dict(by_epoch=True, length=30))
