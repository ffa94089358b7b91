# CUB-200 schedule of SDD (sec. 4.1, "follows CRD"): the CIFAR-100 recipe,
# 240 epochs, batch 64, lr 0.05, /10 at 150, 180, 210, weight decay 5e-4.
_base_ = './cifar100_sgd_240e.py'
