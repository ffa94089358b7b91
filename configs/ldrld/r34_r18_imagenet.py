# LDRLD (ICCV 2025): ResNet34 -> ResNet18 on ImageNet-1k.
# Reported top-1: in the main paper's ImageNet table (not transcribed here).
# alpha 7, beta 0.025 (LDRLD suppl. Tab. 10), d = k = 7, T 2, CE 1; batch 256,
# lr 0.1, 10-epoch linear (learning-rate) warm-up (suppl. sec. 2.4).
_base_ = [
    '../_base_/pairs/models/imagenet_r34_r18.py',
    '../_base_/datasets/imagenet_bs32.py',
    '../_base_/schedules/imagenet_sgd_100e_bs256_lrwarmup10.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        ldrld=dict(
            type='LDRLDLoss', alpha=7.0, beta=0.025, k=7, temperature=2.0)),
    distill_warmup=None)
