# Copyright (c) mmlogitkd contributors. All rights reserved.
"""torchreid's ResNet-18 at a fraction of its width: re-id networks small
enough to train from scratch in a minute on a CPU (the re-identification
quick start, ``configs/quickstart_reid``).

torchreid offers no narrow ResNet, and its small networks (OSNet x0.25,
MobileNetV2) learn slowly from scratch: on the quick start's digits, 800
Adam steps leave OSNet x0.25 below 45% mAP where a half-width ResNet-18
reaches 80%. :class:`NarrowResNet` is torchreid's own ``ResNet`` class
(its ``BasicBlock``, ``featuremaps``, ``forward``, initialisation and layer
names) with every stage's width scaled, so
:class:`~mmlogitkd.models.TorchreidClassifier` wraps it as any torchreid
network (``name='resnet18_x0_25'``). The last stage keeps stride 1 (as
torchreid's ``resnet50_fc512``): a 4x2 last map at 64x32, 3x2 at 48x24.
"""
from functools import partial
from typing import Optional, Sequence

import torch.nn as nn
from torchreid.reid.models.resnet import BasicBlock, ResNet

__all__ = ['NarrowResNet', 'NARROW_RESNETS']


class NarrowResNet(ResNet):
    """torchreid's ResNet with stage widths ``width * (1, 2, 4, 8)``.

    Args:
        num_classes (int): Training identities.
        loss (str): torchreid's ``'softmax'`` or ``'triplet'`` output.
            Defaults to ``'softmax'``.
        width (int): Width of the stem and the first stage (64 in
            torchreid's ResNet-18). Defaults to 16.
        layers (Sequence[int]): Basic blocks per stage. Defaults to
            ``(2, 2, 2, 2)`` (ResNet-18).
        last_stride (int): Stride of the last stage. Defaults to 1.
        fc_dims (Sequence[int], optional): torchreid's embedding layers
            after the pooling. Defaults to None.
    """

    def __init__(self,
                 num_classes: int,
                 loss: str = 'softmax',
                 width: int = 16,
                 layers: Sequence[int] = (2, 2, 2, 2),
                 last_stride: int = 1,
                 fc_dims: Optional[Sequence[int]] = None,
                 **kwargs) -> None:
        # torchreid's ResNet.__init__ with its widths (64 ... 512) scaled;
        # the rest is its own code
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.loss = loss
        self.inplanes = width
        self.dilation = 1
        self.groups = 1
        self.base_width = 64  # BasicBlock's only supported value
        self.conv1 = nn.Conv2d(
            3, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(BasicBlock, width, layers[0])
        self.layer2 = self._make_layer(
            BasicBlock, 2 * width, layers[1], stride=2)
        self.layer3 = self._make_layer(
            BasicBlock, 4 * width, layers[2], stride=2)
        self.layer4 = self._make_layer(
            BasicBlock, 8 * width, layers[3], stride=last_stride)
        self.global_avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.feature_dim = 8 * width
        self.fc = self._construct_fc_layer(fc_dims, 8 * width, None)
        self.classifier = nn.Linear(self.feature_dim, num_classes)
        self._init_params()


#: name -> builder ``(num_classes, loss) -> NarrowResNet``, looked up by
#: :func:`~mmlogitkd.models.reid.torchreid_classifier.build_torchreid_net`
#: beside torchreid's own names (``x`` = the width of torchreid's
#: ResNet-18, as in torchreid's ``osnet_x0_25``)
NARROW_RESNETS = {
    'resnet18_x0_25': partial(NarrowResNet, width=16),
    'resnet18_x0_5': partial(NarrowResNet, width=32),
}
