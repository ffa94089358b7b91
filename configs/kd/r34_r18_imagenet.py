# KD: ResNet34 -> ResNet18 on ImageNet-1k.
# Reported top-1 / top-5: 70.66 / 89.88 (SDD Tab. 3). Teacher 73.31, student
# 69.75 (torchvision teacher in the paper).
# mdistiller ImageNet recipe: T 1, KD weight 0.5, CE weight 0.5; batch 512, lr
# 0.2.
_base_ = ['../_base_/pairs/imagenet_r34_r18.py']

model = dict(
    student=dict(head=dict(loss=dict(loss_weight=0.5))),  # CE weight
    distill_losses=dict(
        kd=dict(type='KDLoss', temperature=1.0, loss_weight=0.5)),
    distill_warmup=None)
