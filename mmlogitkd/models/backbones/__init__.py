# Copyright (c) mmlogitkd contributors. All rights reserved.
from .cifar_mobilenet_v2 import CifarMobileNetV2
from .cifar_resnet import CifarResNet
from .cifar_resnet_v2 import CifarResNet50, CifarResNetV2
from .cifar_shufflenet_v1 import CifarShuffleNetV1
from .cifar_shufflenet_v2 import CifarShuffleNetV2
from .cifar_vgg import CifarVGG
from .cifar_wrn import CifarWideResNet
from .cifar_zoo import CIFAR_ZOO, get_classifier_cfg
from .mobilenet_v1 import KDMobileNetV1

__all__ = [
    'CifarResNet', 'CifarWideResNet', 'CifarVGG', 'CifarResNetV2',
    'CifarResNet50', 'CifarShuffleNetV1', 'CifarShuffleNetV2',
    'CifarMobileNetV2', 'KDMobileNetV1', 'CIFAR_ZOO', 'get_classifier_cfg'
]
