# CTKD + logit standardization (seed 002): ResNet50 -> MobileNetV2
# on CIFAR-100.
# Reported top-1: 69.36 (LS official README).
# LS's CTKD code: KD on Z-scored logits at the learned global temperature,
# KD weight 9, CE weight 0.1; T in [2, 32] (t_start 2 = LS's base
# temperature, t_end 30: inferred from the official logs, see README).
_base_ = [
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e_lr0.01.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ClsLogitDistiller',
    student=dict(
        cfg_path='mmlogitkd::_base_/students/cifar100_mobilenetv2.py',
        head=dict(loss=dict(loss_weight=0.1))),  # CE weight
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/cifar100_resnet50.py'),
    teacher_ckpt='checkpoints/cifar100/resnet50.pth',
    distill_losses=dict(
        ctkd=dict(
            type='CTKDLoss',
            t_start=2.0,
            t_end=30.0,
            lambda_epochs=10,
            standardize=True,
            loss_weight=9.0)),
    distill_warmup=None)
