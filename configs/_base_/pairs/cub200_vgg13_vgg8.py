# VGG13 -> VGG8 on CUB-200-2011 with SDD's recipe, which follows CRD (batch 64,
# 240 epochs, lr 0.05): a method whose recipe this is inherits this file and
# adds its losses. The models alone: ./models/cub200_vgg13_vgg8.py.
_base_ = [
    './models/cub200_vgg13_vgg8.py',
    '../datasets/cub200_bs64.py',
    '../schedules/cub200_sgd_240e.py',
    '../default_runtime.py',
]
