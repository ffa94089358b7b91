# MLKD + logit standardization (seed 002): VGG13 -> VGG8 on
# CIFAR-100. Reported top-1: 75.22 (LS official README).
# LS's MLKD code (--logit-stand --base-temp 2 --kd-weight 6): temperatures
# (2, 3, 5, 2, 6), Z-score on the instance-level terms, MLKD weight 6,
# CE weight 0.1 on each view; weak + strong views, 480 epochs.
# Weight 6, not 9: the official log of this run is named '...,2,6.txt'.
_base_ = './vgg13_vgg8_cifar100.py'

model = dict(
    distill_losses=dict(
        mlkd=dict(
            loss_weight=6.0,
            standardize=True,
            strong_temperatures=(2.0, 3.0, 5.0),
            temperatures=(2.0, 3.0, 5.0, 2.0, 6.0))))
# lr 0.01 (the 480-epoch lr-0.01 schedule), where the plain MLKD config of
# this pair uses 0.025: the LS repository's
# configs/cifar100/mlkd/vgg13_vgg8.yaml has LR 0.025 until 2024-03-10 and
# 0.01 from 2024-03-14 (commit a2aa93d) on
optim_wrapper = dict(optimizer=dict(lr=0.01))
