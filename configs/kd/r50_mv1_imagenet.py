# KD: ResNet50 -> MobileNetV1 on ImageNet-1k.
# Reported top-1 / top-5: 70.50 / 90.34 (SDD Tab. 4). Teacher 76.16, student
# 68.87 (torchvision teacher in the paper).
# mdistiller ImageNet recipe: T 1, KD weight 0.5, CE weight 0.5; batch 512, lr
# 0.2.
_base_ = ['../_base_/pairs/imagenet_r50_mv1.py']

model = dict(
    student=dict(head=dict(loss=dict(loss_weight=0.5))),  # CE weight
    distill_losses=dict(
        kd=dict(type='KDLoss', temperature=1.0, loss_weight=0.5)),
    distill_warmup=None)
