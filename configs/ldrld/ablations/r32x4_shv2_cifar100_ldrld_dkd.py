# LDRLD ablation (suppl. Tab. 20), LDRLD + DKD in one run: ResNet32x4 ->
# ShuffleNetV2 on CIFAR-100.
# Reported top-1: 77.48 (LDRLD suppl. Tab. 20; LDRLD alone 77.33).
# The pair's LDRLD config plus the pair's DKD loss (alpha 1, beta 8, T 4) as a
# second entry of distill_losses, each logged; the paper gives no weights for
# the sum. LDRLD's recipe (20-epoch lr warm-up) applies to both: no separate
# DKD loss warm-up.
_base_ = '../r32x4_shv2_cifar100.py'

model = dict(
    distill_losses=dict(
        dkd=dict(
            type='DKDLoss', alpha=1.0, beta=8.0, temperature=4.0)))
