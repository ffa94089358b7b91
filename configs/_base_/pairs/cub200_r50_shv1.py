# ResNet50 -> ShuffleNetV1 on CUB-200-2011 with SDD's recipe, which follows CRD
# (batch 64, 240 epochs, lr 0.01 as for every MobileNet / ShuffleNet student):
# a method whose recipe this is inherits this file and adds its losses. The
# models alone: ./models/cub200_r50_shv1.py.
_base_ = [
    './models/cub200_r50_shv1.py',
    '../datasets/cub200_bs64.py',
    '../schedules/cub200_sgd_240e_lr0.01.py',
    '../default_runtime.py',
]
