# Student: WRN-16-2 on Tiny-ImageNet (200 classes, 64x64 input).
# CIFAR-style network of RepDistiller / mdistiller.
model = dict(
    type='mmpretrain.ImageClassifier',
    # build the classifier and its unprefixed parts in mmpretrain's scope
    _scope_='mmpretrain',
    backbone=dict(type='mmlogitkd.CifarWideResNet', arch='wrn_16_2'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=200,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        # PyTorch's default nn.Linear init, as the papers' code; mmpretrain's
        # Normal(std=0.01) gives near-zero logits that logit
        # standardization divides by.
        init_cfg=None))
