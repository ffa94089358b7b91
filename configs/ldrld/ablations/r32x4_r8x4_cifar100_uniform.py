# LDRLD ablation (main Tab. 5, suppl. sec. 3.2), uniform pair weights instead
# of ADW: ResNet32x4 -> ResNet8x4 on CIFAR-100.
# Reported top-1: not in our sources (main paper Tab. 5); with ADW 77.20.
# The pair's LDRLD config with every pair term weighted 1 instead of its
# Adaptive Decay Weight (LDRLDLoss pair_weighting='uniform').
_base_ = '../r32x4_r8x4_cifar100.py'

model = dict(distill_losses=dict(ldrld=dict(pair_weighting='uniform')))
