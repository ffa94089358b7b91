# LDRLD (ICCV 2025): VGG13 -> VGG8 on Tiny-ImageNet.
# Reported top-1: 60.91 (teacher 60.20, student 56.03; LDRLD suppl. Tab. 23).
# alpha 8.5, beta 4.5 (LDRLD suppl. Tab. 9), d = k = 7, T 4, CE 1, 20-epoch
# learning-rate warm-up (suppl. sec. 2.4).
_base_ = [
    '../_base_/pairs/models/tiny_imagenet_vgg13_vgg8.py',
    '../_base_/datasets/tiny_imagenet_bs128.py',
    '../_base_/schedules/tiny_imagenet_sgd_240e_lrwarmup20.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        ldrld=dict(
            type='LDRLDLoss', alpha=8.5, beta=4.5, k=7, temperature=4.0)),
    distill_warmup=None)
