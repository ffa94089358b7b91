# SD-KD (Wei et al., CVPR 2024): ResNet34 -> ResNet18 on ImageNet-1k.
# Reported top-1 / top-5: 71.44 / 90.05 (SDD Tab. 3).
# KD inside: T 1, KD weight 0.5, CE weight 0.5; scales {1, 2} (homogeneous
# pair), complementary weight 2, 30-epoch warm-up (SDD sec. 4.1).
_base_ = ['../_base_/pairs/imagenet_r34_r18.py']

model = dict(
    student=dict(head=dict(loss=dict(loss_weight=0.5))),  # CE weight
    distill_losses=dict(
        sdd=dict(
            type='ScaleDecoupledLoss',
            loss=dict(type='KDLoss', temperature=1.0),
            complementary_weight=2.0,
            loss_weight=0.5)),
    sdd_scales=(1, 2),  # cell grids of ScaleDecoupledLoss
    # distillation weight x min(epoch / 30, 1)
    distill_warmup=dict(by_epoch=True, length=30))
