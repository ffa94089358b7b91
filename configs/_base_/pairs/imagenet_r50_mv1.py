# ResNet50 -> MobileNetV1 on ImageNet-1k with the DKD / mdistiller recipe
# (batch 512 as 64 on each of 8 GPUs, 100 epochs, lr 0.2): a method whose
# recipe this is inherits this file and adds its losses. The models alone:
# ./models/imagenet_r50_mv1.py.
_base_ = [
    './models/imagenet_r50_mv1.py',
    '../datasets/imagenet_bs64.py',
    '../schedules/imagenet_sgd_100e_bs512.py',
    '../default_runtime.py',
]
