# Quick-start student: a ResNet8 at 3/16 of its width (channels 3-3-6-12,
# 3 k params) on the 16x16 digits (10 classes) of configs/quickstart.
# A model file: `model` only, named by `cfg_path` in _distill_.py and
# inherited by student.py.
model = dict(
    type='mmpretrain.ImageClassifier',
    # sub-modules (neck, head, loss) resolve in mmpretrain's registry
    _scope_='mmpretrain',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor',
        num_classes=10,
        # mean/std of the 16x16 digits (grey replicated to three channels)
        mean=[77.9, 77.9, 77.9],
        std=[81.3, 81.3, 81.3],
        to_rgb=False),
    backbone=dict(
        type='mmlogitkd.CifarResNet',
        arch=dict(depth=8, channels=(3, 3, 6, 12))),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=12,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        # The linear classifier keeps PyTorch's default nn.Linear
        # initialisation, as the CIFAR code of the distillation papers
        # (mdistiller) does. mmpretrain's default for LinearClsHead,
        # Normal(std=0.01), makes near-zero initial logits, and logit
        # standardization (ls.py) divides their gradient by that tiny
        # spread: the student diverges (about 20% top-1 instead of 93% here).
        init_cfg=None))
