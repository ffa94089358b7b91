# SD-DKD (Wei et al., CVPR 2024): ResNet32x4 -> ShuffleNetV1 on CUB-200-2011.
# Reported top-1: 65.58 (SDD Tab. 5).
# DKD inside: alpha 1, beta 8, T 4, CE 1; scales {1, 2, 4} (heterogeneous
# pair), complementary weight 2, 30-epoch warm-up (SDD sec. 4.1).
_base_ = [
    '../_base_/datasets/cub200_bs64.py',
    '../_base_/schedules/cub200_sgd_240e_lr0.01.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ClsLogitDistiller',
    student=dict(cfg_path='mmlogitkd::_base_/students/cub200_shufflenetv1.py'),
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/cub200_resnet32x4.py'),
    teacher_ckpt='checkpoints/cub200/resnet32x4.pth',
    distill_losses=dict(
        sdd=dict(
            type='ScaleDecoupledLoss',
            loss=dict(
                type='DKDLoss', alpha=1.0, beta=8.0, temperature=4.0),
            complementary_weight=2.0)),
    sdd_scales=(1, 2, 4),  # cell grids of ScaleDecoupledLoss
    # distillation weight x min(epoch / 30, 1)
    distill_warmup=dict(by_epoch=True, length=30))
