# KD: VGG13 -> VGG8 on CUB-200-2011.
# Reported top-1: 64.18 (SDD Tab. 5, LDRLD suppl. Tab. 22).
# CIFAR-100 KD recipe (SDD: CUB follows CRD): T 4, KD 0.9, CE 0.1.
_base_ = [
    '../_base_/datasets/cub200_bs64.py',
    '../_base_/schedules/cub200_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ClsLogitDistiller',
    student=dict(
        cfg_path='mmlogitkd::_base_/students/cub200_vgg8.py',
        head=dict(loss=dict(loss_weight=0.1))),  # CE weight
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/cub200_vgg13.py'),
    teacher_ckpt='checkpoints/cub200/vgg13.pth',
    distill_losses=dict(
        kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9)),
    distill_warmup=None)
