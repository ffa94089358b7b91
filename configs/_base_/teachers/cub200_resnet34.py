# Teacher: ResNet34 (ImageNet architecture) on CUB-200-2011 (200 classes,
# 448x448 input), for logit standardization's CUB runs (LS suppl. sec. 3.6,
# Tab. 7), which train it two ways.
# Weights: no public checkpoint. Train this network on CUB-200 at 448x448
# either from scratch (save as checkpoints/cub200/resnet34_scratch.pth) or
# starting from ImageNet weights (e.g. mmpretrain's resnet34_8xb32_in1k,
# the teacher of configs/*/r34_r18_imagenet.py; save as
# checkpoints/cub200/resnet34_in1k_ft.pth), where the pair configs expect
# them (their model.teacher_ckpt).
model = dict(
    type='mmpretrain.ImageClassifier',
    # build the classifier and its unprefixed parts in mmpretrain's scope
    _scope_='mmpretrain',
    backbone=dict(
        type='ResNet',
        depth=34,
        num_stages=4,
        out_indices=(3, ),
        style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=200,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
