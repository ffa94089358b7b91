# KD (Hinton et al., 2015): WRN-40-2 -> ShuffleNetV1 on CIFAR-100.
# Reported top-1: 74.83 (rank-align Tab. 2, SDD Tab. 2, LS suppl. Tab. 1).
# mdistiller CIFAR-100 recipe: T 4, KD weight 0.9, CE weight 0.1.
_base_ = [
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e_lr0.01.py',
    '../_base_/default_runtime.py',
    '../_base_/teachers/cifar100_wrn_40_2.py',
    '../_base_/students/cifar100_shufflenetv1.py',
]
_base_.student.head.loss.loss_weight = 0.1  # CE weight

model = dict(
    type='ClsLogitDistiller',
    student=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt,
    distill_losses=dict(
        kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9)),
    distill_warmup=None)
