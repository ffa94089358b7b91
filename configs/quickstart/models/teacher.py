# Quick-start teacher: the CIFAR ResNet8x4 of the distillation literature
# (1.2 M params) on the 16x16 digits (10 classes) of configs/quickstart.
# A model file: `model` only, named by `cfg_path` in _distill_.py and
# inherited by teacher.py.
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
    backbone=dict(type='mmlogitkd.CifarResNet', arch='resnet8x4'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=256,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        # PyTorch's default nn.Linear init, as the CIFAR code of the
        # distillation papers (mdistiller); see models/student.py.
        init_cfg=None))
