# CTKD + logit standardization (seed 002): ResNet32x4 -> WRN-16-2
# on CIFAR-100.
# Reported top-1: 75.16 (LS official README).
# LS's CTKD code: KD on Z-scored logits at the learned global temperature,
# KD weight 9, CE weight 0.1; T in [2, 32] (t_start 2 = LS's base
# temperature, t_end 30: inferred from the official logs, see README).
_base_ = './r32x4_wrn16x2_cifar100.py'

model = dict(
    distill_losses=dict(
        ctkd=dict(
            loss_weight=9.0,
            standardize=True,
            t_end=30.0,
            t_start=2.0)))
