# LDRLD (ICCV 2025): VGG13 -> VGG8 on CUB-200-2011.
# Reported top-1: 68.27 (LDRLD suppl. Tab. 22).
# The paper gives no CUB alpha / beta and the official code (yema-web/LDRLD,
# CIFAR-100 only) has no CUB settings: alpha 9.5, beta 7, the heterogeneous
# optimum of LDRLD suppl. Tab. 12; d = k = 7 (the default depth), T 4, CE 1.
# SDD's CUB recipe (224x224, 240 epochs, batch 64, lr 0.05) with the official
# LDRLD code's 20-epoch learning-rate warm-up; no loss warm-up.
_base_ = [
    '../_base_/pairs/models/cub200_vgg13_vgg8.py',
    '../_base_/datasets/cub200_bs64.py',
    '../_base_/schedules/cub200_sgd_240e_lrwarmup20.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        ldrld=dict(
            type='LDRLDLoss', alpha=9.5, beta=7.0, k=7, temperature=4.0)),
    distill_warmup=None)
