# DKD: ResNet50 -> MobileNetV1 on ImageNet-1k.
# Reported top-1 / top-5: 72.05 / 91.05 (SDD Tab. 4). Teacher 76.16, student
# 68.87 (torchvision teacher in the paper).
# mdistiller ImageNet recipe: alpha 1, beta 2, T 1, CE 1, 1-epoch warm-up.
_base_ = ['../_base_/pairs/imagenet_r50_mv1.py']

model = dict(
    distill_losses=dict(
        dkd=dict(
            type='DKDLoss', alpha=1.0, beta=2.0, temperature=1.0)),
    # distillation weight x min(epoch / 1, 1)
    distill_warmup=dict(by_epoch=True, length=1))
