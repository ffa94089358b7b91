# LDRLD ablation (suppl. Tab. 17), DKD's NCKD alone, the baseline of the RNTK
# depth sweep: VGG13 -> VGG8 on CIFAR-100.
# Reported top-1: 74.15 (LDRLD suppl. Tab. 17).
# The pair's DKD config (beta 6, T 4, 20-epoch warm-up) with alpha = 0 (no
# TCKD).
_base_ = '../../dkd/vgg13_vgg8_cifar100.py'

model = dict(distill_losses=dict(dkd=dict(alpha=0.0)))
