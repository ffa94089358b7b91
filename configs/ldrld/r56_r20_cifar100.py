# LDRLD (ICCV 2025): ResNet56 -> ResNet20 on CIFAR-100.
# Reported top-1: 72.20 (LDRLD suppl. Tab. 11, LDRLD suppl. Tab. 19).
# alpha 9.5, beta 1 (LDRLD suppl. Tab. 8), d = k = 7, T 4, CE 1; no loss warm-
# up: the "linear warm-up for 20 epochs" is a learning-rate warm-up in the
# official code (see the schedule).
_base_ = [
    '../_base_/pairs/models/cifar100_r56_r20.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e_lrwarmup20.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        ldrld=dict(
            type='LDRLDLoss', alpha=9.5, beta=1.0, k=7, temperature=4.0)),
    distill_warmup=None)
