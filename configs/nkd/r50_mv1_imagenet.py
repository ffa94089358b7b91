# NKD: ResNet50 -> MobileNetV1 on ImageNet-1k.
# Reported top-1 / top-5: 72.58 / 90.80 (SDD Tab. 4). Teacher 76.16, student
# 68.87 (torchvision teacher in the paper).
# Official NKD (yzd-v/cls_KD) ImageNet setting: T 1, gamma 1.5, CE 1, no warm-
# up.
_base_ = [
    '../_base_/datasets/imagenet_bs64.py',
    '../_base_/schedules/imagenet_sgd_100e_bs512.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ClsLogitDistiller',
    student=dict(
        cfg_path='mmlogitkd::_base_/students/imagenet_mobilenetv1.py'),
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/imagenet_resnet50.py'),
    teacher_ckpt=('https://download.openmmlab.com/mmclassification/v0/resnet/'
                  'resnet50_8xb32_in1k_20210831-ea4938fc.pth'),
    distill_losses=dict(
        nkd=dict(type='NKDLoss', temperature=1.0, gamma=1.5)),
    distill_warmup=None)
