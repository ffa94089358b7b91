# DKD + logit standardization (Sun et al., CVPR 2024) on CUB-200-2011.
# Teacher ResNet34 trained on CUB-200 from scratch
# (checkpoints/cub200/resnet34_scratch.pth; no public checkpoint, see
# _base_/teachers/cub200_resnet34.py); student ResNet18 from scratch.
# Reported top-1: LS suppl. Tab. 7, whose numbers are not in our text of the
# supplement.
# LS suppl. sec. 3.6: 448x448 input, lr 0.2 (as for ResNet18 on ImageNet),
# other settings as on CIFAR-100: 240 epochs, batch 64, /10 at 150, 180, 210,
# wd 5e-4; base temperature 2, DKD weight 12 (alpha 1, beta 8: DKD's defaults,
# x 12), CE 1, DKD's 20-epoch warm-up.
_base_ = [
    '../_base_/pairs/models/cub200_r34_r18.py',
    '../_base_/datasets/cub200_448_bs64.py',
    '../_base_/schedules/cub200_sgd_240e_lr0.2.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        dkd=dict(
            type='DKDLoss',
            alpha=1.0,
            beta=8.0,
            temperature=2.0,
            standardize=True,
            loss_weight=12.0)),
    # distillation weight x min(epoch / 20, 1)
    distill_warmup=dict(by_epoch=True, length=20))
