# DKD (Zhao et al., CVPR 2022): ResNet110 -> ResNet32 on CIFAR-100.
# Reported top-1: 74.11 (rank-align Tab. 1, LDRLD suppl. Tab. 18).
# alpha 1, beta 2 (mdistiller dkd/res110_res32.yaml), T 4, CE 1, 20-epoch warm-
# up.
_base_ = [
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ClsLogitDistiller',
    student=dict(cfg_path='mmlogitkd::_base_/students/cifar100_resnet32.py'),
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/cifar100_resnet110.py'),
    teacher_ckpt='checkpoints/cifar100/resnet110.pth',
    distill_losses=dict(
        dkd=dict(
            type='DKDLoss', alpha=1.0, beta=2.0, temperature=4.0)),
    # distillation weight x min(epoch / 20, 1)
    distill_warmup=dict(by_epoch=True, length=20))
