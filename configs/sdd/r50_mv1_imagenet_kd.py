# SD-KD (Wei et al., CVPR 2024): ResNet50 -> MobileNetV1 on ImageNet-1k.
# Reported top-1 / top-5: 72.24 / 90.71 (SDD Tab. 4).
# KD inside: T 1, KD weight 0.5, CE weight 0.5; scales {1, 2, 4} (heterogeneous
# pair), complementary weight 2, 30-epoch warm-up (SDD sec. 4.1).
_base_ = ['../_base_/pairs/imagenet_r50_mv1.py']

model = dict(
    student=dict(head=dict(loss=dict(loss_weight=0.5))),  # CE weight
    distill_losses=dict(
        sdd=dict(
            type='ScaleDecoupledLoss',
            loss=dict(type='KDLoss', temperature=1.0),
            complementary_weight=2.0,
            loss_weight=0.5)),
    sdd_scales=(1, 2, 4),  # cell grids of ScaleDecoupledLoss
    # distillation weight x min(epoch / 30, 1)
    distill_warmup=dict(by_epoch=True, length=30))
