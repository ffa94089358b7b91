# DKD (Zhao et al., CVPR 2022): ResNet50 -> MobileNetV2 on CIFAR-100.
# Reported top-1: 70.35 (rank-align Tab. 2, SDD Tab. 2).
# alpha 1, beta 8 (mdistiller dkd/res50_mv2.yaml), T 4, CE 1, 20-epoch warm-up.
_base_ = [
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e_lr0.01.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ClsLogitDistiller',
    student=dict(
        cfg_path='mmlogitkd::_base_/students/cifar100_mobilenetv2.py'),
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/cifar100_resnet50.py'),
    teacher_ckpt='checkpoints/cifar100/resnet50.pth',
    distill_losses=dict(
        dkd=dict(
            type='DKDLoss', alpha=1.0, beta=8.0, temperature=4.0)),
    # distillation weight x min(epoch / 20, 1)
    distill_warmup=dict(by_epoch=True, length=20))
