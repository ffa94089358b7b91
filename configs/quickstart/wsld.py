# WSLD (Zhou et al., ICLR 2021) as configs/wsld/r32x4_r8x4_cifar100.py: the
# soft term at T 2 weighted per sample by the student's and the teacher's
# cross-entropies, WSLD weight 2.5, CE weight 1 (the official ImageNet
# setting; the official code has none for CIFAR-100).
_base_ = './_distill_.py'

model = dict(
    distill_losses=dict(
        wsld=dict(type='WSLDLoss', temperature=2.0, loss_weight=2.5)))
