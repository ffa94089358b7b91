# LDRLD (ICCV 2025): ResNet56 -> ResNet20 on Tiny-ImageNet.
# Reported top-1: 55.23 (teacher 56.56, student 52.66; LDRLD suppl. Tab. 23).
# alpha 8, beta 4 (LDRLD suppl. Tab. 9), d = k = 7, T 4, CE 1, 20-epoch
# learning-rate warm-up (suppl. sec. 2.4).
_base_ = [
    '../_base_/pairs/models/tiny_imagenet_r56_r20.py',
    '../_base_/datasets/tiny_imagenet_bs128.py',
    '../_base_/schedules/tiny_imagenet_sgd_240e_lrwarmup20.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        ldrld=dict(
            type='LDRLDLoss', alpha=8.0, beta=4.0, k=7, temperature=4.0)),
    distill_warmup=None)
