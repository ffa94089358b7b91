# Student: Faster R-CNN R-18 FPN, mmdet's R-50 FPN model with a ResNet-18
# backbone (ImageNet weights from torchvision, RGB input with ImageNet
# mean / std, as the students of the DKD / LDRLD detection experiments).
# A model file: `model` only, referenced with
# student=dict(cfg_path='mmlogitkd::_base_/models/frcnn_r18_fpn.py').
_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'

model = dict(
    backbone=dict(
        depth=18,
        init_cfg=dict(type='Pretrained',
                      checkpoint='torchvision://resnet18')),
    # ResNet-18 stages have 64-512 channels, not ResNet-50's 256-2048
    neck=dict(in_channels=[64, 128, 256, 512]))
