# ImageNet schedule of WSLD (official bellymonster/Weighted-Soft-Label-
# Distillation, imagenet_train_cfg.py and train_with_distillation.py): 100
# epochs, total batch 256, lr 0.1 divided by 10 every 30 epochs, SGD momentum
# 0.9 with Nesterov, weight decay 1e-4 on every parameter, no warm-up.
_base_ = './imagenet_sgd_100e_bs512.py'

optim_wrapper = dict(optimizer=dict(lr=0.1, nesterov=True))
auto_scale_lr = dict(base_batch_size=256)
