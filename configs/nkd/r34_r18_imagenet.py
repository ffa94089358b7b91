# NKD: ResNet34 -> ResNet18 on ImageNet-1k.
# Reported top-1 / top-5: 71.96 / 91.10 (SDD Tab. 3). Teacher 73.31, student
# 69.75 (torchvision teacher in the paper).
# Official NKD (yzd-v/cls_KD) ImageNet setting: T 1, gamma 1.5, CE 1, no warm-
# up.
_base_ = [
    '../_base_/datasets/imagenet_bs64.py',
    '../_base_/schedules/imagenet_sgd_100e_bs512.py',
    '../_base_/default_runtime.py',
    '../_base_/teachers/imagenet_resnet34.py',
    '../_base_/students/imagenet_resnet18.py',
]

model = dict(
    type='ClsLogitDistiller',
    student=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt,
    distill_losses=dict(
        nkd=dict(type='NKDLoss', temperature=1.0, gamma=1.5)),
    distill_warmup=None)
