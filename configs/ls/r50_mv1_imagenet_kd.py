# KD + logit standardization (Sun et al., CVPR 2024): ResNet50 -> MobileNetV1
# on ImageNet-1k.
# Reported top-1: not in our sources (the paper's ImageNet table; no official
# README number or log).
# Official code: configs/imagenet/r50_mv2/kd.yaml (its student class
# "MobileNetV2" is the MobileNetV1 network of mdistiller: conv_bn + 13
# depthwise conv_dw blocks, 1024 features) with --logit-stand --base-temp 2
# --kd-weight 9: base temperature 2, KD weight 9, CE 0.5 (that yaml's
# CE_WEIGHT; suppl. sec. 2 says 0.1); batch 512, lr 0.2, 100 epochs.
_base_ = [
    '../_base_/datasets/imagenet_bs64.py',
    '../_base_/schedules/imagenet_sgd_100e_bs512.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ClsLogitDistiller',
    student=dict(
        cfg_path='mmlogitkd::_base_/students/imagenet_mobilenetv1.py',
        head=dict(loss=dict(loss_weight=0.5))),  # CE weight
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/imagenet_resnet50.py'),
    teacher_ckpt=('https://download.openmmlab.com/mmclassification/v0/resnet/'
                  'resnet50_8xb32_in1k_20210831-ea4938fc.pth'),
    distill_losses=dict(
        kd=dict(
            type='KDLoss',
            temperature=2.0,
            standardize=True,
            loss_weight=9.0)),
    distill_warmup=None)
