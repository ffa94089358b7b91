# NKD (Yang et al., ICCV 2023): ResNet50 -> ShuffleNetV1 on CIFAR-100.
# Reported top-1: 76.22 (SDD Tab. 1).
# T 1, gamma 1.5, CE 1, 20-epoch warm-up (NKD baseline of the SDD code).
_base_ = [
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e_lr0.01.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ClsLogitDistiller',
    student=dict(
        cfg_path='mmlogitkd::_base_/students/cifar100_shufflenetv1.py'),
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/cifar100_resnet50.py'),
    teacher_ckpt='checkpoints/cifar100/resnet50.pth',
    distill_losses=dict(
        nkd=dict(type='NKDLoss', temperature=1.0, gamma=1.5)),
    # distillation weight x min(epoch / 20, 1)
    distill_warmup=dict(by_epoch=True, length=20))
