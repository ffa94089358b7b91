# SD-DKD (Wei et al., CVPR 2024): ResNet50 -> ShuffleNetV1 on CUB-200-2011.
# Reported top-1: 60.66 (SDD Tab. 5).
# DKD inside: alpha 1, beta 8, T 4, CE 1; scales {1, 2, 4} (heterogeneous
# pair), complementary weight 2, 30-epoch warm-up (SDD sec. 4.1).
_base_ = ['../_base_/pairs/cub200_r50_shv1.py']

model = dict(
    distill_losses=dict(
        sdd=dict(
            type='ScaleDecoupledLoss',
            loss=dict(
                type='DKDLoss', alpha=1.0, beta=8.0, temperature=4.0),
            complementary_weight=2.0)),
    sdd_scales=(1, 2, 4),  # cell grids of ScaleDecoupledLoss
    # distillation weight x min(epoch / 30, 1)
    distill_warmup=dict(by_epoch=True, length=30))
