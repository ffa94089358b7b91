# LDRLD ablation (suppl. Tab. 15), L_local only: ResNet32x4 -> ShuffleNetV2 on
# CIFAR-100.
# Reported top-1: 76.23 (LDRLD suppl. Tab. 15; both terms 77.33).
# The pair's LDRLD config with beta = 0 (alpha 9.5, k 7, T 4 kept).
_base_ = '../r32x4_shv2_cifar100.py'

model = dict(distill_losses=dict(ldrld=dict(beta=0.0)))
