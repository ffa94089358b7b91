# CTKD (Li et al., AAAI 2023) over KD: WRN-40-2 -> ResNet8x4 on CIFAR-100.
# Reported top-1: 74.61 (CTKD row of the LS official README).
# Official scripts/run_cifar_distill.sh: global learned temperature
# T = 1 + 20 sigmoid(theta), lambda 0 -> 1 on a cosine over 10 epochs,
# KD weight 0.9, CE weight 0.1.
_base_ = [
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ClsLogitDistiller',
    student=dict(
        cfg_path='mmlogitkd::_base_/students/cifar100_resnet8x4.py',
        head=dict(loss=dict(loss_weight=0.1))),  # CE weight
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/cifar100_wrn_40_2.py'),
    teacher_ckpt='checkpoints/cifar100/wrn_40_2.pth',
    distill_losses=dict(
        ctkd=dict(
            type='CTKDLoss',
            t_start=1.0,
            t_end=20.0,
            lambda_epochs=10,
            loss_weight=0.9)),
    distill_warmup=None)
