# KD + logit standardization (Sun et al., CVPR 2024) on CUB-200-2011.
# Teacher ResNet34 trained on CUB-200 from scratch
# (checkpoints/cub200/resnet34_scratch.pth; no public checkpoint, see
# _base_/teachers/cub200_resnet34.py); student ResNet18 from scratch.
# Reported top-1: LS suppl. Tab. 7, whose numbers are not in our text of the
# supplement.
# LS suppl. sec. 3.6: 448x448 input, lr 0.2 (as for ResNet18 on ImageNet),
# other settings as on CIFAR-100: 240 epochs, batch 64, /10 at 150, 180, 210,
# wd 5e-4; base temperature 2, KD weight 9, CE 0.1.
_base_ = [
    '../_base_/pairs/models/cub200_r34_r18.py',
    '../_base_/datasets/cub200_448_bs64.py',
    '../_base_/schedules/cub200_sgd_240e_lr0.2.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student=dict(head=dict(loss=dict(loss_weight=0.1))),  # CE weight
    distill_losses=dict(
        kd=dict(
            type='KDLoss',
            temperature=2.0,
            standardize=True,
            loss_weight=9.0)),
    distill_warmup=None)
