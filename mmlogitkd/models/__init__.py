# Copyright (c) mmlogitkd contributors. All rights reserved.
from .backbones import (
    CIFAR_ZOO,
    CifarMobileNetV2,
    CifarResNet,
    CifarResNet50,
    CifarResNetV2,
    CifarShuffleNetV1,
    CifarShuffleNetV2,
    CifarVGG,
    CifarWideResNet,
    KDMobileNetV1,
    get_classifier_cfg,
)

__all__ = [
    'CifarResNet', 'CifarWideResNet', 'CifarVGG', 'CifarResNetV2',
    'CifarResNet50', 'CifarShuffleNetV1', 'CifarShuffleNetV2',
    'CifarMobileNetV2', 'KDMobileNetV1', 'CIFAR_ZOO', 'get_classifier_cfg'
]
from .reid import TorchreidClassifier, reid_student_to_torchreid  # noqa
