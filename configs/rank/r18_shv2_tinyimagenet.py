# Logit ranking alignment (Lu et al., ICIC 2025): ResNet18 -> ShuffleNetV2 on
# Tiny-ImageNet.
# Reported top-1: 66.58 (teacher 62.99, student 60.78; rank-align Tab. 3).
# L2 between soft ranks (eps 1), lambda 10, CE 1; batch 128, lr 0.05, 240
# epochs (sec. 4.1).
# mdistiller's Tiny-ImageNet ResNet18 / ShuffleNetV2 (CIFAR-style, 64x64).
_base_ = [
    '../_base_/pairs/models/tiny_imagenet_r18_shv2.py',
    '../_base_/datasets/tiny_imagenet_bs128.py',
    '../_base_/schedules/tiny_imagenet_sgd_240e_lr0.05.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        rank=dict(
            type='RankAlignLoss',
            regularization_strength=1.0,
            mode='l2',
            loss_weight=10.0)),
    distill_warmup=None)
