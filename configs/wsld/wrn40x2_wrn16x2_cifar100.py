# WSLD (Zhou et al., ICLR 2021): WRN-40-2 -> WRN-16-2 on CIFAR-100.
# Reported top-1: not in our sources (the official code and README are ImageNet
# only).
# Settings: T 2, WSLD weight 2.5, CE weight 1: the official ImageNet ones
# (bellymonster/Weighted-Soft-Label-Distillation, knowledge_distiller.py: T =
# 2, alpha = 2.5), unchanged, since the official code has no CIFAR-100 setting;
# T 4, the CIFAR-100 temperature of KD's recipe, is the first alternative to
# try.
# Recipe: the pair's (CRD / mdistiller: batch 64, 240 epochs, lr 0.05, /10 at
# 150, 180, 210).
_base_ = ['../_base_/pairs/cifar100_wrn40x2_wrn16x2.py']

model = dict(
    distill_losses=dict(
        wsld=dict(type='WSLDLoss', temperature=2.0, loss_weight=2.5)))
