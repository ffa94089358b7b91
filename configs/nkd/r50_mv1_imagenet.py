# NKD: ResNet50 -> MobileNetV1 on ImageNet-1k.
# Reported top-1 / top-5: 72.58 / 90.80 (SDD Tab. 4). Teacher 76.16, student
# 68.87 (torchvision teacher in the paper).
# Official NKD (yzd-v/cls_KD) ImageNet setting: T 1, gamma 1.5, CE 1, no warm-
# up.
_base_ = ['../_base_/pairs/imagenet_r50_mv1.py']

model = dict(
    distill_losses=dict(
        nkd=dict(type='NKDLoss', temperature=1.0, gamma=1.5)),
    distill_warmup=None)
