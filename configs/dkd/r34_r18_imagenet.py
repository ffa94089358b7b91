# DKD: ResNet34 -> ResNet18 on ImageNet-1k.
# Reported top-1 / top-5: 71.70 / 90.41 (SDD Tab. 3). Teacher 73.31, student
# 69.75 (torchvision teacher in the paper).
# mdistiller ImageNet recipe: alpha 1, beta 0.5, T 1, CE 1, 1-epoch warm-up.
_base_ = ['../_base_/pairs/imagenet_r34_r18.py']

model = dict(
    distill_losses=dict(
        dkd=dict(
            type='DKDLoss', alpha=1.0, beta=0.5, temperature=1.0)),
    # distillation weight x min(epoch / 1, 1)
    distill_warmup=dict(by_epoch=True, length=1))
