# KD (Hinton et al., 2015): ResNet32x4 -> ShuffleNetV1 on CIFAR-100.
# Reported top-1: 74.07 (rank-align Tab. 2, SDD Tab. 2, LS suppl. Tab. 1).
# mdistiller CIFAR-100 recipe: T 4, KD weight 0.9, CE weight 0.1.
_base_ = [
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e_lr0.01.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ClsLogitDistiller',
    student=dict(
        cfg_path='mmlogitkd::_base_/students/cifar100_shufflenetv1.py',
        head=dict(loss=dict(loss_weight=0.1))),  # CE weight
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/cifar100_resnet32x4.py'),
    teacher_ckpt='checkpoints/cifar100/resnet32x4.pth',
    distill_losses=dict(
        kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9)),
    distill_warmup=None)
