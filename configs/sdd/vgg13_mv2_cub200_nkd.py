# SD-NKD (Wei et al., CVPR 2024): VGG13 -> MobileNetV2 on CUB-200-2011.
# Reported top-1: 64.63 (SDD Tab. 5).
# NKD inside: T 1, gamma 1.5, CE 1; scales {1, 2, 4} (heterogeneous pair),
# complementary weight 2, 30-epoch warm-up (SDD sec. 4.1).
_base_ = [
    '../_base_/datasets/cub200_bs64.py',
    '../_base_/schedules/cub200_sgd_240e_lr0.01.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ClsLogitDistiller',
    student=dict(cfg_path='mmlogitkd::_base_/students/cub200_mobilenetv2.py'),
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/cub200_vgg13.py'),
    teacher_ckpt='checkpoints/cub200/vgg13.pth',
    distill_losses=dict(
        sdd=dict(
            type='ScaleDecoupledLoss',
            loss=dict(type='NKDLoss', temperature=1.0, gamma=1.5),
            complementary_weight=2.0)),
    sdd_scales=(1, 2, 4),  # cell grids of ScaleDecoupledLoss
    # distillation weight x min(epoch / 30, 1)
    distill_warmup=dict(by_epoch=True, length=30))
