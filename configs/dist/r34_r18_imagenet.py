# DIST (Huang et al., NeurIPS 2022): ResNet34 -> ResNet18 on ImageNet-1k.
# Reported top-1: 72.07 (DIST official README; TTM official README); teacher
# 73.31, student 69.76 (torchvision teacher in the paper); mmrazor, with the
# mmpretrain teacher these configs load (73.62): 71.61.
# Official ImageNet settings (hunto/image_classification_sota,
# configs/strategies/distill/resnet_dist.yaml, 8 GPUs): kd 'dist', i.e. T 1,
# beta = gamma = 1, kd_loss_weight 2, CE weight 1; the recipe (batch 256, lr
# 0.1, Nesterov): ./_imagenet_recipe.py.
_base_ = [
    '../_base_/pairs/models/imagenet_r34_r18.py',
    './_imagenet_recipe.py',
]

model = dict(
    distill_losses=dict(
        dist=dict(
            type='DISTLoss',
            beta=1.0,
            gamma=1.0,
            temperature=1.0,
            loss_weight=2.0)))
