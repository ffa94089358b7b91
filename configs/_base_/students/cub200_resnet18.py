# Student: ResNet18 (ImageNet architecture) on CUB-200-2011 (200 classes,
# 448x448 input in the logit-standardization CUB configs), trained from
# scratch.
_base_ = './imagenet_resnet18.py'

model = dict(head=dict(num_classes=200))
