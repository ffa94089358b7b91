# MLKD + logit standardization (seed 002): ResNet32x4 -> ShuffleNetV2 on
# CIFAR-100. Reported top-1: 78.76 (LS official README).
# LS's MLKD code (--logit-stand --base-temp 2 --kd-weight 6): temperatures
# (2, 3, 5, 2, 6), Z-score on the instance-level terms, MLKD weight 6,
# CE weight 0.1 on each view; weak + strong views, 480 epochs.
# Weight 6, not 9: the official log of this run is named '...,2,6.txt'.
# The official config trains this pair 960 epochs: add
# --cfg-options train_cfg.max_epochs=960 for it.
_base_ = './r32x4_shv2_cifar100.py'

model = dict(
    distill_losses=dict(
        mlkd=dict(
            loss_weight=6.0,
            standardize=True,
            strong_temperatures=(2.0, 3.0, 5.0),
            temperatures=(2.0, 3.0, 5.0, 2.0, 6.0))))
