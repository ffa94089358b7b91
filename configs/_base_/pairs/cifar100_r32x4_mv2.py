# ResNet32x4 -> MobileNetV2 on CIFAR-100 with the CRD / mdistiller recipe
# (batch 64, 240 epochs, lr 0.01 as for every MobileNet / ShuffleNet student):
# a method whose recipe this is inherits this file and adds its losses. The
# models alone: ./models/cifar100_r32x4_mv2.py.
_base_ = [
    './models/cifar100_r32x4_mv2.py',
    '../datasets/cifar100_bs64.py',
    '../schedules/cifar100_sgd_240e_lr0.01.py',
    '../default_runtime.py',
]
