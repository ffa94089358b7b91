# KD: VGG13 -> MobileNetV2 on CUB-200-2011.
# Reported top-1: 53.98 (SDD Tab. 5, LDRLD suppl. Tab. 22).
# CIFAR-100 KD recipe (SDD: CUB follows CRD): T 4, KD 0.9, CE 0.1.
_base_ = ['../_base_/pairs/cub200_vgg13_mv2.py']

model = dict(
    student=dict(head=dict(loss=dict(loss_weight=0.1))),  # CE weight
    distill_losses=dict(
        kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9)),
    distill_warmup=None)
