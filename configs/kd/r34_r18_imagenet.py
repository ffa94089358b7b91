# KD: ResNet34 -> ResNet18 on ImageNet-1k.
# Reported top-1 / top-5: 70.66 / 89.88 (SDD Tab. 3). Teacher 73.31, student
# 69.75 (torchvision teacher in the paper).
# mdistiller ImageNet recipe: T 1, KD weight 0.5, CE weight 0.5; batch 512, lr
# 0.2.
_base_ = [
    '../_base_/datasets/imagenet_bs64.py',
    '../_base_/schedules/imagenet_sgd_100e_bs512.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ClsLogitDistiller',
    student=dict(
        cfg_path='mmlogitkd::_base_/students/imagenet_resnet18.py',
        head=dict(loss=dict(loss_weight=0.5))),  # CE weight
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/imagenet_resnet34.py'),
    teacher_ckpt=('https://download.openmmlab.com/mmclassification/v0/resnet/'
                  'resnet34_8xb32_in1k_20210831-f257d4e6.pth'),
    distill_losses=dict(
        kd=dict(type='KDLoss', temperature=1.0, loss_weight=0.5)),
    distill_warmup=None)
