# LDRLD ablation (suppl. Tab. 17), L_RNTK only with depth d = k = 3: ResNet32x4
# -> ResNet8x4 on CIFAR-100.
# Reported top-1: 75.34 (LDRLD suppl. Tab. 17; DKD's NCKD alone 75.42).
# The pair's LDRLD config with alpha = 0 and k = 3 (beta 7.0, T 4 kept): the KL
# over the classes outside the student's top 3.
_base_ = '../r32x4_r8x4_cifar100.py'

model = dict(distill_losses=dict(ldrld=dict(alpha=0.0, k=3)))
