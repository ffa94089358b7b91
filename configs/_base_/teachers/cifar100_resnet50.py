# Teacher: ResNet50 on CIFAR-100 (100 classes, 32x32 input).
# Weights: the public RepDistiller / mdistiller teacher
# ResNet50_vanilla/ckpt_epoch_240.pth from cifar_teachers.tar (GitHub
# megvii-research/mdistiller, release "checkpoints"), converted with
# tools/model_converters/mdistiller_to_mmlogitkd.py.
# The pair configs expect it at checkpoints/cifar100/resnet50.pth (their
# model.teacher_ckpt).
model = dict(
    type='mmpretrain.ImageClassifier',
    # build the classifier and its unprefixed parts in mmpretrain's scope
    _scope_='mmpretrain',
    backbone=dict(type='mmlogitkd.CifarResNet50'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
