# LDRLD (ICCV 2025): ResNet32x4 -> ShuffleNetV2 on CIFAR-100.
# Reported top-1: 77.33 (LDRLD suppl. Tab. 12, LDRLD suppl. Tab. 15, LDRLD
# suppl. Tab. 20).
# alpha 9.5, beta 7 (LDRLD suppl. Tab. 7), d = k = 7, T 4, CE 1; no loss warm-
# up: the "linear warm-up for 20 epochs" is a learning-rate warm-up in the
# official code (see the schedule).
_base_ = [
    '../_base_/pairs/models/cifar100_r32x4_shv2.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e_lrwarmup20_lr0.01.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        ldrld=dict(
            type='LDRLDLoss', alpha=9.5, beta=7.0, k=7, temperature=4.0)),
    distill_warmup=None)
