# WSLD (Zhou et al., ICLR 2021): ResNet34 -> ResNet18 on ImageNet-1k.
# Reported top-1: 72.04 (WSLD official README); teacher 73.31, student 69.75
# (torchvision teacher); mmrazor, with the mmpretrain teacher these configs
# load (73.62): 71.54.
# Official settings (bellymonster/Weighted-Soft-Label-Distillation:
# knowledge_distiller.py, imagenet_train_cfg.py, train_with_distillation.py;
# the same for both of its pairs): T 2, alpha 2.5 (the WSLD weight), CE weight
# 1; the recipe (batch 256, lr 0.1, Nesterov): ./_imagenet_recipe.py.
_base_ = [
    '../_base_/pairs/models/imagenet_r34_r18.py',
    './_imagenet_recipe.py',
]

model = dict(
    distill_losses=dict(
        wsld=dict(type='WSLDLoss', temperature=2.0, loss_weight=2.5)))
