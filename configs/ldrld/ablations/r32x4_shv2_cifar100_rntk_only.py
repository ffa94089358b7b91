# LDRLD ablation (suppl. Tab. 15), L_RNTK only: ResNet32x4 -> ShuffleNetV2 on
# CIFAR-100.
# Reported top-1: 76.30 (LDRLD suppl. Tab. 15; both terms 77.33).
# The pair's LDRLD config with alpha = 0 (beta 7.0, k 7, T 4 kept).
_base_ = '../r32x4_shv2_cifar100.py'

model = dict(distill_losses=dict(ldrld=dict(alpha=0.0)))
