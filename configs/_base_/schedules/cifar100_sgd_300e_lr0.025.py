# CIFAR-100 schedule of the rank-alignment paper (Lu et al., ICIC 2025,
# sec. 4.1): batch 64, lr 0.025 for every student, 300 epochs, lr divided by
# 10 at epochs 150, 180 and 210, SGD momentum 0.9, weight decay 5e-4.
_base_ = './cifar100_sgd_240e.py'

optim_wrapper = dict(optimizer=dict(lr=0.025))
train_cfg = dict(max_epochs=300)
