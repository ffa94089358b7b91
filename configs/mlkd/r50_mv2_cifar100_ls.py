# MLKD + logit standardization (seed 002): ResNet50 -> MobileNetV2 on
# CIFAR-100. Reported top-1: 71.19 (LS official README).
# LS's MLKD code (--logit-stand --base-temp 2 --kd-weight 9): temperatures
# (2, 3, 5, 2, 6), Z-score on the instance-level terms, MLKD weight 9,
# CE weight 0.1 on each view; weak + strong views, 480 epochs.
_base_ = './r50_mv2_cifar100.py'

model = dict(
    distill_losses=dict(
        mlkd=dict(
            loss_weight=9.0,
            standardize=True,
            strong_temperatures=(2.0, 3.0, 5.0),
            temperatures=(2.0, 3.0, 5.0, 2.0, 6.0))))
