# MLKD (Jin et al., CVPR 2023): ResNet110 -> ResNet32 on CIFAR-100.
# Reported top-1: 74.11 (MLKD, as listed in the LS official README).
# Official KD_ours: temperatures (4, 3, 5, 2, 6), MLKD weight 0.9, CE
# weight 0.1 on each view; weak + strong views, 480 epochs.
_base_ = [
    '../_base_/pairs/models/cifar100_r110_r32.py',
    '../_base_/datasets/cifar100_bs64_weak_strong.py',
    '../_base_/schedules/cifar100_sgd_480e_lr0.025.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='MultiViewClsDistiller',
    student=dict(head=dict(loss=dict(loss_weight=0.1))),  # CE weight
    distill_losses=dict(
        mlkd=dict(
            type='MLKDLoss',
            temperatures=(4., 3., 5., 2., 6.),
            strong_temperatures=(4., 3., 5.),
            extra_weak_temperatures=(2., 6.),
            loss_weight=0.9)),
    distill_warmup=None,
    num_views=2)
