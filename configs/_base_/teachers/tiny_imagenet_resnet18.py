# Teacher: ResNet18 on Tiny-ImageNet (200 classes, 64x64 input).
# Weights: mdistiller's Tiny-ImageNet teacher (DOT), which mdistiller loads
# from download_ckpts/tiny_imagenet_teachers/ResNet18_vanilla/ti_res18,
# converted with tools/model_converters/mdistiller_to_mmlogitkd.py
# (--arch ResNet18).
# The pair configs expect it at checkpoints/tiny_imagenet/resnet18.pth (their
# model.teacher_ckpt).
model = dict(
    type='mmpretrain.ImageClassifier',
    # build the classifier and its unprefixed parts in mmpretrain's scope
    _scope_='mmpretrain',
    backbone=dict(type='mmlogitkd.CifarResNetV2', arch='resnet18'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=200,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
