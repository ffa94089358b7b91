# DKD + logit standardization (Sun et al., CVPR 2024): ResNet34 -> ResNet18 on
# ImageNet-1k.
# Reported top-1: not in our sources (the paper's ImageNet table; the official
# README gives no ImageNet number and has no DKD ImageNet log).
# Official code: configs/imagenet/r34_r18/dkd.yaml (alpha 1, beta 0.5, CE 1,
# 1-epoch warm-up) with --logit-stand --base-temp 2 --kd-weight 12 (suppl. sec.
# 2: DKD weight 12): alpha 1 x 12, beta 0.5 x 12, base temperature 2; batch
# 512, lr 0.2, 100 epochs.
_base_ = ['../_base_/pairs/imagenet_r34_r18.py']

model = dict(
    distill_losses=dict(
        dkd=dict(
            type='DKDLoss',
            alpha=1.0,
            beta=0.5,
            temperature=2.0,
            standardize=True,
            loss_weight=12.0)),
    # distillation weight x min(epoch / 1, 1)
    distill_warmup=dict(by_epoch=True, length=1))
