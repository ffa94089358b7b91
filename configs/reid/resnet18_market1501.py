# Student alone (the baseline of the distillation configs): torchreid
# ResNet-18 on Market-1501 with torchreid's default recipe (softmax + label
# smoothing 0.1, Adam lr 3e-4, 60 epochs, batch 32, 256x128, random flip),
# from ImageNet weights.
#
# ImageNet weights: torchvision's ResNet-18 (what torchreid downloads), put at
# checkpoints/imagenet/resnet18-5c106cde.pth:
#   https://download.pytorch.org/models/resnet18-5c106cde.pth
_base_ = [
    '../_base_/models/reid_resnet18_market1501.py',
    '../_base_/datasets/market1501_bs32.py',
    '../_base_/schedules/market1501_adam_60e.py',
    '../_base_/default_runtime.py',
]

model = dict(pretrained='checkpoints/imagenet/resnet18-5c106cde.pth')
