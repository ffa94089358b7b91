# DIST (Huang et al., NeurIPS 2022), its official CIFAR-100 setting as
# configs/dist/r32x4_r8x4_cifar100.py: inter- and intra-class Pearson
# relations of the probabilities at T 4, beta = gamma = 1, DIST weight 2,
# CE weight 1.
_base_ = './_distill_.py'

model = dict(
    distill_losses=dict(
        dist=dict(
            type='DISTLoss',
            beta=1.0,
            gamma=1.0,
            temperature=4.0,
            loss_weight=2.0)))
