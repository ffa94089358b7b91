# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Map the model names of RepDistiller / mdistiller to our backbones.

``CIFAR_ZOO`` is keyed by the names of ``cifar_model_dict`` in
``mdistiller/models/cifar/__init__.py`` (the names its configs and the
public teacher checkpoints use, e.g. ``resnet32x4``, ``wrn_40_2``,
``ShuffleV1``, ``MobileNetV2``); ``KDMobileNetV1`` (ImageNet) is added as
``MobileNetV1``. Each entry holds:

- ``backbone``: our backbone config (bare type names, resolved in the
  ``mmlogitkd`` scope; :func:`get_classifier_cfg` adds the scope prefix
  needed inside an mmpretrain ``ImageClassifier``);
- ``out_channels``: channels of the last backbone map, i.e. ``in_channels``
  of the ``LinearClsHead``;
- ``input_size``: the input side the model is defined for.
"""
import copy
from typing import Dict

CIFAR_ZOO: Dict[str, dict] = {
    # CIFAR ResNets (resnet.py)
    'resnet8': dict(backbone=dict(type='CifarResNet', arch='resnet8'),
                    out_channels=64, input_size=32),
    'resnet14': dict(backbone=dict(type='CifarResNet', arch='resnet14'),
                     out_channels=64, input_size=32),
    'resnet20': dict(backbone=dict(type='CifarResNet', arch='resnet20'),
                     out_channels=64, input_size=32),
    'resnet32': dict(backbone=dict(type='CifarResNet', arch='resnet32'),
                     out_channels=64, input_size=32),
    'resnet44': dict(backbone=dict(type='CifarResNet', arch='resnet44'),
                     out_channels=64, input_size=32),
    'resnet56': dict(backbone=dict(type='CifarResNet', arch='resnet56'),
                     out_channels=64, input_size=32),
    'resnet110': dict(backbone=dict(type='CifarResNet', arch='resnet110'),
                      out_channels=64, input_size=32),
    'resnet8x4': dict(backbone=dict(type='CifarResNet', arch='resnet8x4'),
                      out_channels=256, input_size=32),
    'resnet32x4': dict(backbone=dict(type='CifarResNet', arch='resnet32x4'),
                       out_channels=256, input_size=32),
    # CIFAR-style ImageNet ResNets (resnetv2.py)
    'ResNet18': dict(backbone=dict(type='CifarResNetV2', arch='resnet18'),
                     out_channels=512, input_size=32),
    'ResNet50': dict(backbone=dict(type='CifarResNet50'),
                     out_channels=2048, input_size=32),
    # wide ResNets (wrn.py)
    'wrn_16_1': dict(backbone=dict(type='CifarWideResNet', arch='wrn_16_1'),
                     out_channels=64, input_size=32),
    'wrn_16_2': dict(backbone=dict(type='CifarWideResNet', arch='wrn_16_2'),
                     out_channels=128, input_size=32),
    'wrn_40_1': dict(backbone=dict(type='CifarWideResNet', arch='wrn_40_1'),
                     out_channels=64, input_size=32),
    'wrn_40_2': dict(backbone=dict(type='CifarWideResNet', arch='wrn_40_2'),
                     out_channels=128, input_size=32),
    # VGGs with batch norm (vgg.py, vgg*_bn)
    'vgg8': dict(backbone=dict(type='CifarVGG', arch='vgg8'),
                 out_channels=512, input_size=32),
    'vgg11': dict(backbone=dict(type='CifarVGG', arch='vgg11'),
                  out_channels=512, input_size=32),
    'vgg13': dict(backbone=dict(type='CifarVGG', arch='vgg13'),
                  out_channels=512, input_size=32),
    'vgg16': dict(backbone=dict(type='CifarVGG', arch='vgg16'),
                  out_channels=512, input_size=32),
    'vgg19': dict(backbone=dict(type='CifarVGG', arch='vgg19'),
                  out_channels=512, input_size=32),
    # light-weight students
    'MobileNetV2': dict(
        backbone=dict(type='CifarMobileNetV2', width_mult=0.5),
        out_channels=1280, input_size=32),
    'ShuffleV1': dict(backbone=dict(type='CifarShuffleNetV1'),
                      out_channels=960, input_size=32),
    'ShuffleV2': dict(backbone=dict(type='CifarShuffleNetV2', net_size=1),
                      out_channels=1024, input_size=32),
    # ImageNet student (mdistiller/models/imagenet/mobilenetv1.py)
    'MobileNetV1': dict(backbone=dict(type='KDMobileNetV1'),
                        out_channels=1024, input_size=224),
}


def get_zoo_entry(name: str) -> dict:
    """A deep copy of ``CIFAR_ZOO[name]``, with a helpful error."""
    if name not in CIFAR_ZOO:
        raise KeyError(f'Unknown mdistiller model name {name!r}; known '
                       f'names: {", ".join(CIFAR_ZOO)}')
    return copy.deepcopy(CIFAR_ZOO[name])


def get_classifier_cfg(name: str, num_classes: int = 100) -> dict:
    """An mmpretrain ``ImageClassifier`` config for a zoo model.

    The classifier carries ``_scope_='mmpretrain'``, so that it builds from
    any default scope (under ``mmlogitkd``, mmpretrain's ``ImageClassifier``
    would otherwise look its unprefixed ``ClsDataPreprocessor``, neck and
    head up in our registry), and the backbone type the ``mmlogitkd.``
    prefix, so that mmpretrain's registry finds it.

    Args:
        name (str): A ``CIFAR_ZOO`` key (mdistiller model name).
        num_classes (int): Classes of the linear head. Defaults to 100.

    Returns:
        dict: ``ImageClassifier(backbone, GlobalAveragePooling,
        LinearClsHead)`` config.
    """
    entry = get_zoo_entry(name)
    backbone = entry['backbone']
    backbone['type'] = 'mmlogitkd.' + backbone['type']
    return dict(
        type='mmpretrain.ImageClassifier',
        _scope_='mmpretrain',
        backbone=backbone,
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=num_classes,
            in_channels=entry['out_channels'],
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            topk=(1, 5)))
