# Teacher: WRN-40-2 on Tiny-ImageNet (200 classes, 64x64 input).
# Weights: no public checkpoint; train this network on Tiny-ImageNet yourself
# (same architecture, plain cross-entropy) and save it as
# checkpoints/tiny_imagenet/wrn_40_2.pth, where the pair configs expect it
# (their model.teacher_ckpt).
model = dict(
    type='mmpretrain.ImageClassifier',
    # build the classifier and its unprefixed parts in mmpretrain's scope
    _scope_='mmpretrain',
    backbone=dict(type='mmlogitkd.CifarWideResNet', arch='wrn_40_2'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=200,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
