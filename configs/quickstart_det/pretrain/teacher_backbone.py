# The teacher's backbone (ResNet-18, stages of 64-512 channels) pretrained
# on the training digits; see ./_base_.py. Its `backbone.*` keys are those
# of models/teacher.py's mmdet ResNet, loaded there by init_cfg.
_base_ = ['./_base_.py']

model = dict(
    type='mmpretrain.ImageClassifier',
    _scope_='mmpretrain',
    # the detectors' normalisation (mean / std of the canvases, RGB), as an
    # ImageNet backbone shares its normalisation with the detector
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor',
        num_classes=10,
        mean=[130., 126., 125.],
        std=[77., 85., 73.],
        to_rgb=True),
    # mmpretrain's ResNet: the same parameter names as mmdet's
    backbone=dict(
        type='ResNet',
        depth=18,
        num_stages=4,
        out_indices=(3, ),
        style='pytorch',
        # PyTorch's default initialisation, as the CIFAR code of the
        # distillation papers: with mmpretrain's (Kaiming fan-out, zero-init
        # residuals, a 0.01-std head) the student's backbone reached 52%
        # test top-1 in these 6 epochs instead of 91%
        zero_init_residual=False,
        init_cfg=None),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=None))
