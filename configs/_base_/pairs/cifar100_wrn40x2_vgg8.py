# WRN-40-2 -> VGG8 on CIFAR-100 with the CRD / mdistiller recipe (batch 64, 240
# epochs, lr 0.05): a method whose recipe this is inherits this file and adds
# its losses. The models alone: ./models/cifar100_wrn40x2_vgg8.py.
_base_ = [
    './models/cifar100_wrn40x2_vgg8.py',
    '../datasets/cifar100_bs64.py',
    '../schedules/cifar100_sgd_240e.py',
    '../default_runtime.py',
]
