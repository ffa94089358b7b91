# Logit ranking alignment (Lu et al., ICIC 2025): ResNet32x4 -> ShuffleNetV1 on
# CIFAR-100.
# Reported top-1: 78.57 (rank-align Tab. 2).
# L2 between soft ranks (eps 1), lambda 5, CE 1, no KL term; batch 64, lr
# 0.025, 300 epochs (sec. 4.1).
_base_ = [
    '../_base_/pairs/models/cifar100_r32x4_shv1.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_300e_lr0.025.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        rank=dict(
            type='RankAlignLoss',
            regularization_strength=1.0,
            mode='l2',
            loss_weight=5.0)),
    distill_warmup=None)
