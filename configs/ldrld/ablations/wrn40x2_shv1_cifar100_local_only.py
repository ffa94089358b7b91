# LDRLD ablation (suppl. Tab. 15), L_local only: WRN-40-2 -> ShuffleNetV1 on
# CIFAR-100.
# Reported top-1: 76.11 (LDRLD suppl. Tab. 15; both terms 77.09).
# The pair's LDRLD config with beta = 0 (alpha 11.0, k 7, T 4 kept).
_base_ = '../wrn40x2_shv1_cifar100.py'

model = dict(distill_losses=dict(ldrld=dict(beta=0.0)))
