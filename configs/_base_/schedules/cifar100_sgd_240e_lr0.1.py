# As cifar100_sgd_240e.py with lr 0.1, for every student: the CIFAR-100
# schedule of the SKD authors' script (HyunJunSik/StreamLined,
# CIFAR-100/Utils/distillation_train.py: SGD momentum 0.9, weight decay 5e-4,
# 240 epochs, divided by 10 at epochs 150, 180 and 210, batch 64).
_base_ = './cifar100_sgd_240e.py'

optim_wrapper = dict(optimizer=dict(lr=0.1))
