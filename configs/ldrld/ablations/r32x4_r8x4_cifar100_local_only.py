# LDRLD ablation (suppl. Tab. 15), L_local only: ResNet32x4 -> ResNet8x4 on
# CIFAR-100.
# Reported top-1: 76.55 (LDRLD suppl. Tab. 15; both terms 77.20).
# The pair's LDRLD config with beta = 0 (alpha 10.5, k 7, T 4 kept).
_base_ = '../r32x4_r8x4_cifar100.py'

model = dict(distill_losses=dict(ldrld=dict(beta=0.0)))
