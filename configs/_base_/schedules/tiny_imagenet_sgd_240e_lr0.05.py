# Tiny-ImageNet schedule of the rank-alignment paper (Lu et al., ICIC 2025,
# sec. 4.1): batch 128, lr 0.05, 240 epochs, otherwise as on CIFAR-100 (lr
# divided by 10 at 150, 180, 210, SGD momentum 0.9, weight decay 5e-4).
_base_ = './cifar100_sgd_240e.py'

optim_wrapper = dict(optimizer=dict(lr=0.05))
auto_scale_lr = dict(base_batch_size=128)
