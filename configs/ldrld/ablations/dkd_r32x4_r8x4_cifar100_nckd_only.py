# LDRLD ablation (suppl. Tab. 17), DKD's NCKD alone, the baseline of the RNTK
# depth sweep: ResNet32x4 -> ResNet8x4 on CIFAR-100.
# Reported top-1: 75.42 (LDRLD suppl. Tab. 17).
# The pair's DKD config (beta 8, T 4, 20-epoch warm-up) with alpha = 0 (no
# TCKD).
_base_ = '../../dkd/r32x4_r8x4_cifar100.py'

model = dict(distill_losses=dict(dkd=dict(alpha=0.0)))
