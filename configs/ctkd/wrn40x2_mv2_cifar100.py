# CTKD (Li et al., AAAI 2023) over KD: WRN-40-2 -> MobileNetV2 on CIFAR-100.
# Reported top-1: 68.34 (CTKD row of the LS official README).
# Official scripts/run_cifar_distill.sh: global learned temperature
# T = 1 + 20 sigmoid(theta), lambda 0 -> 1 on a cosine over 10 epochs,
# KD weight 0.9, CE weight 0.1.
_base_ = ['../_base_/pairs/cifar100_wrn40x2_mv2.py']

model = dict(
    student=dict(head=dict(loss=dict(loss_weight=0.1))),  # CE weight
    distill_losses=dict(
        ctkd=dict(
            type='CTKDLoss',
            t_start=1.0,
            t_end=20.0,
            lambda_epochs=10,
            loss_weight=0.9)),
    distill_warmup=None)
