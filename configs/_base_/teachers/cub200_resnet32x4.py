# Teacher: ResNet32x4 on CUB-200-2011 (200 classes, 224x224 input).
# Weights: no public checkpoint; train this network on CUB-200 yourself (SDD
# recipe: 240 epochs, see cub200_sgd_240e.py) and save it as
# checkpoints/cub200/resnet32x4.pth, where the pair configs expect it (their
# model.teacher_ckpt).
model = dict(
    type='mmpretrain.ImageClassifier',
    # build the classifier and its unprefixed parts in mmpretrain's scope
    _scope_='mmpretrain',
    backbone=dict(type='mmlogitkd.CifarResNet', arch='resnet32x4'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=200,
        in_channels=256,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
