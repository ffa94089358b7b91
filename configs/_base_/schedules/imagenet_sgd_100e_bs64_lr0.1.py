# ImageNet schedule of the SKD authors' script (HyunJunSik/StreamLined,
# ImageNet/Utils/distillation_train.py): 100 epochs, total batch 64 (one
# GPU), lr 0.1 divided by 10 at epochs 30, 60 and 90, SGD momentum 0.9 (no
# Nesterov), weight decay 1e-4 on every parameter, no warm-up.
_base_ = './imagenet_sgd_100e_bs512.py'

optim_wrapper = dict(optimizer=dict(lr=0.1))
auto_scale_lr = dict(base_batch_size=64)
