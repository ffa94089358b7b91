# LDRLD ablation (suppl. Tab. 15), L_RNTK only: ResNet32x4 -> ResNet8x4 on
# CIFAR-100.
# Reported top-1: 75.78 (LDRLD suppl. Tab. 15; both terms 77.20).
# The pair's LDRLD config with alpha = 0 (beta 7.0, k 7, T 4 kept).
# Also suppl. Tab. 17's RNTK row at d = 7 (75.78).
_base_ = '../r32x4_r8x4_cifar100.py'

model = dict(distill_losses=dict(ldrld=dict(alpha=0.0)))
