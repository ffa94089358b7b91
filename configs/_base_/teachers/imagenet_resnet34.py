# Teacher: ResNet34 on ImageNet-1k (1000 classes, 224x224 input).
# Weights: mmpretrain model zoo (resnet34_8xb32_in1k, top-1 73.62).
# The papers used torchvision's weights (top-1 73.31); mmpretrain's
# are a little stronger.
# The pair configs download it by URL (their model.teacher_ckpt):
# resnet34_8xb32_in1k_20210831-f257d4e6.pth from
# https://download.openmmlab.com/mmclassification/v0/resnet/.
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
        num_classes=1000,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
