# SD-DKD (Wei et al., CVPR 2024): ResNet34 -> ResNet18 on ImageNet-1k.
# Reported top-1 / top-5: 72.02 / 91.21 (SDD Tab. 3).
# DKD inside: alpha 1, beta 0.5, T 1, CE 1; scales {1, 2} (homogeneous pair),
# complementary weight 2, 30-epoch warm-up (SDD sec. 4.1).
_base_ = ['../_base_/pairs/imagenet_r34_r18.py']

model = dict(
    distill_losses=dict(
        sdd=dict(
            type='ScaleDecoupledLoss',
            loss=dict(
                type='DKDLoss', alpha=1.0, beta=0.5, temperature=1.0),
            complementary_weight=2.0)),
    sdd_scales=(1, 2),  # cell grids of ScaleDecoupledLoss
    # distillation weight x min(epoch / 30, 1)
    distill_warmup=dict(by_epoch=True, length=30))
