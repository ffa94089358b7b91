# DKD: VGG13 -> MobileNetV2 on CUB-200-2011.
# Reported top-1: 58.45 (SDD Tab. 5, LDRLD suppl. Tab. 22).
# alpha 1, beta 6 (SDD code cub200/dkd/vgg13_mv2.yaml), T 4, CE 1, 20-epoch
# warm-up.
_base_ = ['../_base_/pairs/cub200_vgg13_mv2.py']

model = dict(
    distill_losses=dict(
        dkd=dict(
            type='DKDLoss', alpha=1.0, beta=6.0, temperature=4.0)),
    # distillation weight x min(epoch / 20, 1)
    distill_warmup=dict(by_epoch=True, length=20))
