# Teacher alone: torchreid ResNet-50 on Market-1501 with torchreid's default
# recipe (softmax + label smoothing 0.1, Adam lr 3e-4, 60 epochs, batch 32,
# 256x128, random flip), from ImageNet weights. Its checkpoint is the
# `teacher_ckpt` of configs/*/reid_r50_r18_market1501.py.
#
# ImageNet weights: torchvision's ResNet-50 (what torchreid downloads), put at
# checkpoints/imagenet/resnet50-19c8e357.pth:
#   https://download.pytorch.org/models/resnet50-19c8e357.pth
# Or use a torchreid checkpoint directly (see the teacher's model file).
_base_ = [
    '../_base_/models/reid_resnet50_market1501.py',
    '../_base_/datasets/market1501_bs32.py',
    '../_base_/schedules/market1501_adam_60e.py',
    '../_base_/default_runtime.py',
]

model = dict(pretrained='checkpoints/imagenet/resnet50-19c8e357.pth')
