# SD-KD (Wei et al., CVPR 2024): ResNet32x4 -> ShuffleNetV2 on CIFAR-100.
# Reported top-1: 76.67 (SDD Tab. 2).
# KD inside: T 4, KD weight 0.9, CE weight 0.1; scales {1, 2, 4} (heterogeneous
# pair), complementary weight 2, 30-epoch warm-up (SDD sec. 4.1).
_base_ = [
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e_lr0.01.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ClsLogitDistiller',
    student=dict(
        cfg_path='mmlogitkd::_base_/students/cifar100_shufflenetv2.py',
        head=dict(loss=dict(loss_weight=0.1))),  # CE weight
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/cifar100_resnet32x4.py'),
    teacher_ckpt='checkpoints/cifar100/resnet32x4.pth',
    distill_losses=dict(
        sdd=dict(
            type='ScaleDecoupledLoss',
            loss=dict(type='KDLoss', temperature=4.0),
            complementary_weight=2.0,
            loss_weight=0.9)),
    sdd_scales=(1, 2, 4),  # cell grids of ScaleDecoupledLoss
    # distillation weight x min(epoch / 30, 1)
    distill_warmup=dict(by_epoch=True, length=30))
