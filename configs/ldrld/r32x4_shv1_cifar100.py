# LDRLD (ICCV 2025): ResNet32x4 -> ShuffleNetV1 on CIFAR-100.
# Reported top-1: in the main paper's tables (not transcribed here).
# Note: recursion depth d = 9 for this pair (sec. 2.4).
# alpha 8, beta 8 (LDRLD suppl. Tab. 7), d = k = 9, T 4, CE 1; no loss warm-up:
# the "linear warm-up for 20 epochs" is a learning-rate warm-up in the official
# code (see the schedule).
_base_ = [
    '../_base_/pairs/models/cifar100_r32x4_shv1.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e_lrwarmup20_lr0.01.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        ldrld=dict(
            type='LDRLDLoss', alpha=8.0, beta=8.0, k=9, temperature=4.0)),
    distill_warmup=None)
