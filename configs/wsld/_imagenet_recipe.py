# WSLD's official ImageNet recipe (bellymonster/Weighted-Soft-Label-
# Distillation: imagenet_train_cfg.py, train_with_distillation.py; the same
# for both of its pairs): batch 256, lr 0.1, /10 every 30 epochs, Nesterov,
# weight decay 1e-4. Not a runnable config (the leading underscore): a method
# config inherits it beside its pair's models (../_base_/pairs/models/).
_base_ = [
    '../_base_/datasets/imagenet_bs32.py',
    '../_base_/schedules/imagenet_sgd_100e_bs256_nesterov.py',
    '../_base_/default_runtime.py',
]
