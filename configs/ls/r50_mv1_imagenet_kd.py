# KD + logit standardization (Sun et al., CVPR 2024): ResNet50 -> MobileNetV1
# on ImageNet-1k.
# Reported top-1: not in our sources (the paper's ImageNet table; no official
# README number or log).
# Official code: configs/imagenet/r50_mv2/kd.yaml (its student class
# "MobileNetV2" is the MobileNetV1 network of mdistiller: conv_bn + 13
# depthwise conv_dw blocks, 1024 features) with --logit-stand --base-temp 2
# --kd-weight 9: base temperature 2, KD weight 9, CE 0.5 (that yaml's
# CE_WEIGHT; suppl. sec. 2 says 0.1); batch 512, lr 0.2, 100 epochs.
_base_ = ['../_base_/pairs/imagenet_r50_mv1.py']

model = dict(
    student=dict(head=dict(loss=dict(loss_weight=0.5))),  # CE weight
    distill_losses=dict(
        kd=dict(
            type='KDLoss',
            temperature=2.0,
            standardize=True,
            loss_weight=9.0)),
    distill_warmup=None)
