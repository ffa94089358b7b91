# Teacher: ResNet44 on CIFAR-100 (100 classes, 32x32 input), for the teacher
# sweep of LDRLD suppl. Tab. 19 (teacher top-1 72.32 there).
# Weights: no public checkpoint (the RepDistiller / mdistiller teachers are
# ResNet56 / 110 / 32x4, WRN-40-2, VGG13, ResNet50): train this network on
# CIFAR-100 yourself (RepDistiller's train_teacher.py --model resnet44, 240
# epochs, then tools/model_converters/mdistiller_to_mmlogitkd.py) and save it
# as checkpoints/cifar100/resnet44.pth, where the pair configs expect it
# (their model.teacher_ckpt).
model = dict(
    type='mmpretrain.ImageClassifier',
    # build the classifier and its unprefixed parts in mmpretrain's scope
    _scope_='mmpretrain',
    backbone=dict(type='mmlogitkd.CifarResNet', arch='resnet44'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
