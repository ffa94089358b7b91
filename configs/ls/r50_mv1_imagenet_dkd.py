# DKD + logit standardization (Sun et al., CVPR 2024): ResNet50 -> MobileNetV1
# on ImageNet-1k.
# Reported top-1: not in our sources (the paper's ImageNet table; no official
# README number or log).
# Official code: configs/imagenet/r50_mv2/dkd.yaml (student: mdistiller's
# MobileNetV1; alpha 1, beta 2, CE 1, 1-epoch warm-up) with --logit-stand
# --base-temp 2 --kd-weight 12: alpha 1 x 12, beta 2 x 12, base temperature 2;
# batch 512, lr 0.2, 100 epochs.
_base_ = ['../_base_/pairs/imagenet_r50_mv1.py']

model = dict(
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
