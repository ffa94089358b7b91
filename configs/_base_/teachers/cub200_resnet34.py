# Teacher: ResNet34 (ImageNet architecture) on CUB-200-2011 (200 classes,
# 448x448 input), for logit standardization's CUB runs (LS suppl. sec. 3.6,
# Tab. 7), which train it two ways.
# Weights: no public checkpoint. Train this network on CUB-200 at 448x448
# either from scratch (save as checkpoints/cub200/resnet34_scratch.pth) or
# starting from ImageNet weights (e.g. mmpretrain's resnet34_8xb32_in1k,
# the teacher of configs/*/r34_r18_imagenet.py; save as
# checkpoints/cub200/resnet34_in1k_ft.pth), where the pair configs expect
# them (their model.teacher_ckpt).
_base_ = './imagenet_resnet34.py'

model = dict(head=dict(num_classes=200))
