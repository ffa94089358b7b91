# DKD + logit standardization (Sun et al., CVPR 2024): ResNet50 -> MobileNetV1
# on ImageNet-1k.
# Reported top-1: not in our sources (the paper's ImageNet table; no official
# README number or log).
# Official code: configs/imagenet/r50_mv2/dkd.yaml (student: mdistiller's
# MobileNetV1; alpha 1, beta 2, CE 1, 1-epoch warm-up) with --logit-stand
# --base-temp 2 --kd-weight 12: alpha 1 x 12, beta 2 x 12, base temperature 2;
# batch 512, lr 0.2, 100 epochs.
_base_ = [
    '../_base_/datasets/imagenet_bs64.py',
    '../_base_/schedules/imagenet_sgd_100e_bs512.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ClsLogitDistiller',
    student=dict(
        cfg_path='mmlogitkd::_base_/students/imagenet_mobilenetv1.py'),
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/imagenet_resnet50.py'),
    teacher_ckpt=('https://download.openmmlab.com/mmclassification/v0/resnet/'
                  'resnet50_8xb32_in1k_20210831-ea4938fc.pth'),
    distill_losses=dict(
        dkd=dict(
            type='DKDLoss',
            alpha=1.0,
            beta=2.0,
            temperature=2.0,
            standardize=True,
            loss_weight=12.0)),
    # distillation weight x min(epoch / 1, 1)
    distill_warmup=dict(by_epoch=True, length=1))
