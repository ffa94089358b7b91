# Student: ResNet18 (ImageNet architecture) on CUB-200-2011 (200 classes,
# 448x448 input in the logit-standardization CUB configs), trained from
# scratch.
model = dict(
    type='mmpretrain.ImageClassifier',
    # build the classifier and its unprefixed parts in mmpretrain's scope
    _scope_='mmpretrain',
    backbone=dict(
        type='ResNet',
        depth=18,
        num_stages=4,
        out_indices=(3, ),
        style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=200,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        # PyTorch's default nn.Linear init, as the papers' code; mmpretrain's
        # Normal(std=0.01) gives near-zero logits that logit
        # standardization divides by.
        init_cfg=None))
