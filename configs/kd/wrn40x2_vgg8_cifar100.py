# KD (Hinton et al., 2015): WRN-40-2 -> VGG8 on CIFAR-100.
# Reported top-1: 73.97 (SDD Tab. 1).
# mdistiller CIFAR-100 recipe: T 4, KD weight 0.9, CE weight 0.1.
_base_ = [
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ClsLogitDistiller',
    student=dict(
        cfg_path='mmlogitkd::_base_/students/cifar100_vgg8.py',
        head=dict(loss=dict(loss_weight=0.1))),  # CE weight
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/cifar100_wrn_40_2.py'),
    teacher_ckpt='checkpoints/cifar100/wrn_40_2.pth',
    distill_losses=dict(
        kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9)),
    distill_warmup=None)
