# cub200_sgd_240e.py with lr 0.2: logit standardization's CUB runs (LS suppl.
# sec. 3.6: "the learning rate is 0.2, the same as distilling RN18 on
# ImageNet"; other settings as on CIFAR-100: 240 epochs, batch 64, /10 at
# 150, 180, 210, weight decay 5e-4).
_base_ = './cub200_sgd_240e.py'

optim_wrapper = dict(optimizer=dict(lr=0.2))
