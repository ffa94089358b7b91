# LDRLD ablation (suppl. Tab. 15), L_RNTK only: WRN-40-2 -> WRN-40-1 on
# CIFAR-100.
# Reported top-1: 74.19 (LDRLD suppl. Tab. 15; both terms 74.98).
# The pair's LDRLD config with alpha = 0 (beta 4.0, k 7, T 4 kept).
_base_ = '../wrn40x2_wrn40x1_cifar100.py'

model = dict(distill_losses=dict(ldrld=dict(alpha=0.0)))
