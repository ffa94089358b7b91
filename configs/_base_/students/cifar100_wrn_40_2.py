# Student: WRN-40-2 on CIFAR-100 (100 classes, 32x32 input), for ResNet32x4
# -> WRN-40-2 (logit standardization's official README).
# CIFAR-style network of RepDistiller / mdistiller.
model = dict(
    type='mmpretrain.ImageClassifier',
    # build the classifier and its unprefixed parts in mmpretrain's scope
    _scope_='mmpretrain',
    backbone=dict(type='mmlogitkd.CifarWideResNet', arch='wrn_40_2'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        # PyTorch's default nn.Linear init, as the papers' code; mmpretrain's
        # Normal(std=0.01) gives near-zero logits that logit
        # standardization divides by.
        init_cfg=None))
