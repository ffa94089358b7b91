# LDRLD ablation (suppl. Tab. 17), L_RNTK only with depth d = k = 3: VGG13 ->
# VGG8 on CIFAR-100.
# Reported top-1: 73.76 (LDRLD suppl. Tab. 17; DKD's NCKD alone 74.15).
# The pair's LDRLD config with alpha = 0 and k = 3 (beta 8.5, T 4 kept): the KL
# over the classes outside the student's top 3.
_base_ = '../vgg13_vgg8_cifar100.py'

model = dict(distill_losses=dict(ldrld=dict(alpha=0.0, k=3)))
