# SD-NKD (Wei et al., CVPR 2024): ResNet32x4 -> MobileNetV2 on CIFAR-100.
# Reported top-1: 69.59 (SDD Tab. 1).
# NKD inside: T 1, gamma 1.5, CE 1; scales {1, 2, 4} (heterogeneous pair),
# complementary weight 2, 30-epoch warm-up (SDD sec. 4.1).
_base_ = [
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e_lr0.01.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ClsLogitDistiller',
    student=dict(
        cfg_path='mmlogitkd::_base_/students/cifar100_mobilenetv2.py'),
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/cifar100_resnet32x4.py'),
    teacher_ckpt='checkpoints/cifar100/resnet32x4.pth',
    distill_losses=dict(
        sdd=dict(
            type='ScaleDecoupledLoss',
            loss=dict(type='NKDLoss', temperature=1.0, gamma=1.5),
            complementary_weight=2.0)),
    sdd_scales=(1, 2, 4),  # cell grids of ScaleDecoupledLoss
    # distillation weight x min(epoch / 30, 1)
    distill_warmup=dict(by_epoch=True, length=30))
