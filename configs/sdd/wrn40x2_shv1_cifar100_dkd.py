# SD-DKD (Wei et al., CVPR 2024): WRN-40-2 -> ShuffleNetV1 on CIFAR-100.
# Reported top-1: 77.21 (SDD Tab. 2).
# DKD inside: alpha 1, beta 8, T 4, CE 1; scales {1, 2, 4} (heterogeneous
# pair), complementary weight 2, 30-epoch warm-up (SDD sec. 4.1).
_base_ = [
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e_lr0.01.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ClsLogitDistiller',
    student=dict(
        cfg_path='mmlogitkd::_base_/students/cifar100_shufflenetv1.py'),
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/cifar100_wrn_40_2.py'),
    teacher_ckpt='checkpoints/cifar100/wrn_40_2.pth',
    distill_losses=dict(
        sdd=dict(
            type='ScaleDecoupledLoss',
            loss=dict(
                type='DKDLoss', alpha=1.0, beta=8.0, temperature=4.0),
            complementary_weight=2.0)),
    sdd_scales=(1, 2, 4),  # cell grids of ScaleDecoupledLoss
    # distillation weight x min(epoch / 30, 1)
    distill_warmup=dict(by_epoch=True, length=30))
