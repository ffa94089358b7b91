# NKD: ResNet34 -> ResNet18 on ImageNet-1k.
# Reported top-1 / top-5: 71.96 / 91.10 (SDD Tab. 3). Teacher 73.31, student
# 69.75 (torchvision teacher in the paper).
# Official NKD (yzd-v/cls_KD) ImageNet setting: T 1, gamma 1.5, CE 1, no warm-
# up.
_base_ = ['../_base_/pairs/imagenet_r34_r18.py']

model = dict(
    distill_losses=dict(
        nkd=dict(type='NKDLoss', temperature=1.0, gamma=1.5)),
    distill_warmup=None)
