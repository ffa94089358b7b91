# Copyright (c) mmlogitkd contributors. All rights reserved.
"""CIFAR zoo backbones vs. independent copies of the original definitions.

The ``Ref*`` classes below re-state the RepDistiller / mdistiller models
(github megvii-research/mdistiller, ``mdistiller/models/cifar/*.py`` and
``mdistiller/models/imagenet/mobilenetv1.py``) compactly, with the original
module names (which the checkpoint converter relies on), the original
classifier and the original pooling, returning logits only. They share no
code with ``mmlogitkd``.
"""
import copy
import importlib.util
import math
import os.path as osp

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmlogitkd.models import CIFAR_ZOO, get_classifier_cfg
from mmlogitkd.models import backbones as B
from mmlogitkd.models.converters import convert_mdistiller_state_dict
from mmlogitkd.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(autouse=True, scope='module')
def _single_thread():
    """Tiny CPU convolutions: one intra-op thread is faster, and much faster
    on a busy machine, than OpenMP threads fighting for the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

# --------------------------------------------------------------------------
# Reference copies of the original definitions
# --------------------------------------------------------------------------


class RefResNetBlock(nn.Module):  # resnet.py BasicBlock

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        residual = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            residual = self.downsample(x)
        out += residual
        return F.relu(out)


class RefResNet(nn.Module):  # resnet.py ResNet (basic blocks)

    def __init__(self, depth, num_filters, num_classes=100):
        super().__init__()
        n = (depth - 2) // 6
        self.inplanes = num_filters[0]
        self.conv1 = nn.Conv2d(3, num_filters[0], 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(num_filters[0])
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(num_filters[1], n)
        self.layer2 = self._make_layer(num_filters[2], n, stride=2)
        self.layer3 = self._make_layer(num_filters[3], n, stride=2)
        self.avgpool = nn.AvgPool2d(8)
        self.fc = nn.Linear(num_filters[3], num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes, 1, stride, bias=False),
                nn.BatchNorm2d(planes))
        layers = [RefResNetBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [RefResNetBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        x = self.avgpool(x)
        return self.fc(x.reshape(x.size(0), -1))


class RefWRNBlock(nn.Module):  # wrn.py BasicBlock

    def __init__(self, in_planes, out_planes, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(in_planes, out_planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_planes)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(out_planes, out_planes, 3, 1, 1, bias=False)
        self.equalInOut = in_planes == out_planes
        self.convShortcut = (not self.equalInOut) and nn.Conv2d(
            in_planes, out_planes, 1, stride, 0, bias=False) or None

    def forward(self, x):
        if not self.equalInOut:
            x = self.relu1(self.bn1(x))
        else:
            out = self.relu1(self.bn1(x))
        out = self.relu2(self.bn2(self.conv1(out if self.equalInOut else x)))
        out = self.conv2(out)
        return torch.add(x if self.equalInOut else self.convShortcut(x), out)


class RefNetworkBlock(nn.Module):

    def __init__(self, nb_layers, in_planes, out_planes, stride):
        super().__init__()
        self.layer = nn.Sequential(*[
            RefWRNBlock(i == 0 and in_planes or out_planes, out_planes,
                        i == 0 and stride or 1) for i in range(nb_layers)
        ])

    def forward(self, x):
        return self.layer(x)


class RefWideResNet(nn.Module):  # wrn.py WideResNet

    def __init__(self, depth, widen_factor, num_classes=100):
        super().__init__()
        ch = [16, 16 * widen_factor, 32 * widen_factor, 64 * widen_factor]
        n = (depth - 4) // 6
        self.conv1 = nn.Conv2d(3, ch[0], 3, 1, 1, bias=False)
        self.block1 = RefNetworkBlock(n, ch[0], ch[1], 1)
        self.block2 = RefNetworkBlock(n, ch[1], ch[2], 2)
        self.block3 = RefNetworkBlock(n, ch[2], ch[3], 2)
        self.bn1 = nn.BatchNorm2d(ch[3])
        self.relu = nn.ReLU(inplace=True)
        self.fc = nn.Linear(ch[3], num_classes)
        self.nChannels = ch[3]

    def forward(self, x):
        out = self.block3(self.block2(self.block1(self.conv1(x))))
        out = F.avg_pool2d(self.relu(self.bn1(out)), 8)
        return self.fc(out.reshape(-1, self.nChannels))


VGG_CFG = {
    'vgg8': [[64], [128], [256], [512], [512]],
    'vgg11': [[64], [128], [256, 256], [512, 512], [512, 512]],
    'vgg13': [[64, 64], [128, 128], [256, 256], [512, 512], [512, 512]],
    'vgg16': [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512],
              [512, 512, 512]],
    'vgg19': [[64, 64], [128, 128], [256, 256, 256, 256],
              [512, 512, 512, 512], [512, 512, 512, 512]],
}


class RefVGG(nn.Module):  # vgg.py VGG(batch_norm=True)

    def __init__(self, cfg, num_classes=100):
        super().__init__()
        in_ch = [3] + [c[-1] for c in cfg[:-1]]
        for i in range(5):
            layers = []
            c_in = in_ch[i]
            for v in cfg[i]:
                layers += [
                    nn.Conv2d(c_in, v, 3, padding=1),
                    nn.BatchNorm2d(v),
                    nn.ReLU(inplace=True)
                ]
                c_in = v
            setattr(self, f'block{i}', nn.Sequential(*layers[:-1]))
        for i in range(4):
            setattr(self, f'pool{i}', nn.MaxPool2d(2, 2))
        self.pool4 = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Linear(512, num_classes)

    def forward(self, x):
        h = x.shape[2]
        x = self.pool0(F.relu(self.block0(x)))
        x = self.pool1(F.relu(self.block1(x)))
        x = self.pool2(F.relu(self.block2(x)))
        x = F.relu(self.block3(x))
        if h == 64:
            x = self.pool3(x)
        x = self.pool4(F.relu(self.block4(x)))
        return self.classifier(x.reshape(x.size(0), -1))


class RefV2Basic(nn.Module):  # resnetv2.py BasicBlock
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, 1, stride, bias=False),
                nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return F.relu(out)


class RefV2Bottleneck(nn.Module):  # resnetv2.py Bottleneck
    expansion = 4

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, 4 * planes, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(4 * planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != 4 * planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, 4 * planes, 1, stride, bias=False),
                nn.BatchNorm2d(4 * planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out += self.shortcut(x)
        return F.relu(out)


class RefResNetV2(nn.Module):  # resnetv2.py ResNet

    def __init__(self, block, num_blocks, num_classes=100):
        super().__init__()
        self.in_planes = 64
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        for i, (planes, stride) in enumerate(
                zip((64, 128, 256, 512), (1, 2, 2, 2))):
            layers = []
            for s in [stride] + [1] * (num_blocks[i] - 1):
                layers.append(block(self.in_planes, planes, s))
                self.in_planes = planes * block.expansion
            setattr(self, f'layer{i + 1}', nn.Sequential(*layers))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.linear = nn.Linear(512 * block.expansion, num_classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        out = self.avgpool(out)
        return self.linear(out.reshape(out.size(0), -1))


class RefShuffleBlock(nn.Module):

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        N, C, H, W = x.size()
        g = self.groups
        return x.reshape(N, g, C // g, H, W).permute(0, 2, 1, 3,
                                                     4).reshape(N, C, H, W)


class RefShuffleV1Unit(nn.Module):  # ShuffleNetv1.py Bottleneck

    def __init__(self, in_planes, out_planes, stride, groups):
        super().__init__()
        self.stride = stride
        mid = int(out_planes / 4)
        g = 1 if in_planes == 24 else groups
        self.conv1 = nn.Conv2d(in_planes, mid, 1, groups=g, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.shuffle1 = RefShuffleBlock(g)
        self.conv2 = nn.Conv2d(
            mid, mid, 3, stride, 1, groups=mid, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(mid, out_planes, 1, groups=groups, bias=False)
        self.bn3 = nn.BatchNorm2d(out_planes)
        self.shortcut = nn.Sequential()
        if stride == 2:
            self.shortcut = nn.Sequential(nn.AvgPool2d(3, 2, 1))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.shuffle1(out)
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        res = self.shortcut(x)
        return F.relu(
            torch.cat([out, res], 1) if self.stride == 2 else out + res)


class RefShuffleV1(nn.Module):  # ShuffleNetv1.py ShuffleV1

    def __init__(self, num_classes=100):
        super().__init__()
        out_planes, num_blocks, groups = [240, 480, 960], [4, 8, 4], 3
        self.conv1 = nn.Conv2d(3, 24, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(24)
        self.in_planes = 24
        for i in range(3):
            layers = []
            for j in range(num_blocks[i]):
                cat = self.in_planes if j == 0 else 0
                layers.append(
                    RefShuffleV1Unit(self.in_planes, out_planes[i] - cat,
                                     2 if j == 0 else 1, groups))
                self.in_planes = out_planes[i]
            setattr(self, f'layer{i + 1}', nn.Sequential(*layers))
        self.linear = nn.Linear(960, num_classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        out = F.avg_pool2d(out, 4)
        return self.linear(out.reshape(out.size(0), -1))


class RefShuffleV2Basic(nn.Module):  # ShuffleNetv2.py BasicBlock

    def __init__(self, in_channels):
        super().__init__()
        c = int(in_channels * 0.5)
        self.conv1 = nn.Conv2d(c, c, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, groups=c, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.conv3 = nn.Conv2d(c, c, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(c)
        self.shuffle = RefShuffleBlock(2)

    def forward(self, x):
        c = int(x.size(1) * 0.5)
        x1, x2 = x[:, :c, :, :], x[:, c:, :, :]
        out = F.relu(self.bn1(self.conv1(x2)))
        out = self.bn2(self.conv2(out))
        out = F.relu(self.bn3(self.conv3(out)))
        return self.shuffle(torch.cat([x1, out], 1))


class RefShuffleV2Down(nn.Module):  # ShuffleNetv2.py DownBlock

    def __init__(self, cin, cout):
        super().__init__()
        mid = cout // 2
        self.conv1 = nn.Conv2d(cin, cin, 3, 2, 1, groups=cin, bias=False)
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv2 = nn.Conv2d(cin, mid, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(cin, mid, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(mid)
        self.conv4 = nn.Conv2d(mid, mid, 3, 2, 1, groups=mid, bias=False)
        self.bn4 = nn.BatchNorm2d(mid)
        self.conv5 = nn.Conv2d(mid, mid, 1, bias=False)
        self.bn5 = nn.BatchNorm2d(mid)
        self.shuffle = RefShuffleBlock(2)

    def forward(self, x):
        out1 = self.bn1(self.conv1(x))
        out1 = F.relu(self.bn2(self.conv2(out1)))
        out2 = F.relu(self.bn3(self.conv3(x)))
        out2 = self.bn4(self.conv4(out2))
        out2 = F.relu(self.bn5(self.conv5(out2)))
        return self.shuffle(torch.cat([out1, out2], 1))


class RefShuffleV2(nn.Module):  # ShuffleNetv2.py ShuffleV2 (net_size=1)

    def __init__(self, num_classes=100):
        super().__init__()
        out_channels, num_blocks = (116, 232, 464, 1024), (3, 7, 3)
        self.conv1 = nn.Conv2d(3, 24, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(24)
        cin = 24
        for i in range(3):
            layers = [RefShuffleV2Down(cin, out_channels[i])]
            layers += [
                RefShuffleV2Basic(out_channels[i])
                for _ in range(num_blocks[i])
            ]
            cin = out_channels[i]
            setattr(self, f'layer{i + 1}', nn.Sequential(*layers))
        self.conv2 = nn.Conv2d(464, 1024, 1, 1, 0, bias=False)
        self.bn2 = nn.BatchNorm2d(1024)
        self.linear = nn.Linear(1024, num_classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = F.avg_pool2d(out, 4)
        return self.linear(out.reshape(out.size(0), -1))


class RefInvertedResidual(nn.Module):  # mobilenetv2.py

    def __init__(self, inp, oup, stride, t):
        super().__init__()
        self.use_res_connect = stride == 1 and inp == oup
        self.conv = nn.Sequential(
            nn.Conv2d(inp, inp * t, 1, 1, 0, bias=False),
            nn.BatchNorm2d(inp * t),
            nn.ReLU(inplace=True),
            nn.Conv2d(inp * t, inp * t, 3, stride, 1, groups=inp * t,
                      bias=False),
            nn.BatchNorm2d(inp * t),
            nn.ReLU(inplace=True),
            nn.Conv2d(inp * t, oup, 1, 1, 0, bias=False),
            nn.BatchNorm2d(oup),
        )

    def forward(self, x):
        if self.use_res_connect:
            return x + self.conv(x)
        return self.conv(x)


class RefMobileNetV2(nn.Module):  # mobilenetv2.py mobile_half

    def __init__(self, num_classes=100, T=6, width_mult=0.5, input_size=32):
        super().__init__()
        setting = [[1, 16, 1, 1], [T, 24, 2, 1], [T, 32, 3, 2],
                   [T, 64, 4, 2], [T, 96, 3, 1], [T, 160, 3, 2],
                   [T, 320, 1, 1]]
        c_in = int(32 * width_mult)
        self.conv1 = nn.Sequential(
            nn.Conv2d(3, c_in, 3, 2, 1, bias=False), nn.BatchNorm2d(c_in),
            nn.ReLU(inplace=True))
        self.blocks = nn.ModuleList([])
        for t, c, n, s in setting:
            c_out = int(c * width_mult)
            layers = []
            for stride in [s] + [1] * (n - 1):
                layers.append(RefInvertedResidual(c_in, c_out, stride, t))
                c_in = c_out
            self.blocks.append(nn.Sequential(*layers))
        last = int(1280 * width_mult) if width_mult > 1.0 else 1280
        self.conv2 = nn.Sequential(
            nn.Conv2d(c_in, last, 1, 1, 0, bias=False), nn.BatchNorm2d(last),
            nn.ReLU(inplace=True))
        self.classifier = nn.Sequential(nn.Linear(last, num_classes))
        self.avgpool = nn.AvgPool2d(input_size // 16, ceil_mode=True)

    def forward(self, x):
        out = self.conv1(x)
        for block in self.blocks:
            out = block(out)
        out = self.avgpool(self.conv2(out))
        return self.classifier(out.reshape(out.size(0), -1))


class RefMobileNetV1(nn.Module):  # imagenet/mobilenetv1.py

    def __init__(self):
        super().__init__()

        def conv_bn(inp, oup, stride):
            return nn.Sequential(
                nn.Conv2d(inp, oup, 3, stride, 1, bias=False),
                nn.BatchNorm2d(oup), nn.ReLU(inplace=True))

        def conv_dw(inp, oup, stride):
            return nn.Sequential(
                nn.Conv2d(inp, inp, 3, stride, 1, groups=inp, bias=False),
                nn.BatchNorm2d(inp), nn.ReLU(inplace=True),
                nn.Conv2d(inp, oup, 1, 1, 0, bias=False),
                nn.BatchNorm2d(oup), nn.ReLU(inplace=True))

        self.model = nn.Sequential(
            conv_bn(3, 32, 2), conv_dw(32, 64, 1), conv_dw(64, 128, 2),
            conv_dw(128, 128, 1), conv_dw(128, 256, 2), conv_dw(256, 256, 1),
            conv_dw(256, 512, 2), conv_dw(512, 512, 1), conv_dw(512, 512, 1),
            conv_dw(512, 512, 1), conv_dw(512, 512, 1), conv_dw(512, 512, 1),
            conv_dw(512, 1024, 2), conv_dw(1024, 1024, 1), nn.AvgPool2d(7))
        self.fc = nn.Linear(1024, 1000)

    def forward(self, x):
        feat1 = self.model[3][:-1](self.model[0:3](x))
        feat2 = self.model[5][:-1](self.model[4:5](F.relu(feat1)))
        feat3 = self.model[11][:-1](self.model[6:11](F.relu(feat2)))
        feat4 = self.model[13][:-1](self.model[12:13](F.relu(feat3)))
        feat5 = self.model[14](F.relu(feat4))
        return self.fc(feat5.reshape(-1, 1024))


def build_reference(name):
    """The reference model of an mdistiller name (CIFAR-100 heads)."""
    resnets = {
        'resnet8': (8, [16, 16, 32, 64]),
        'resnet14': (14, [16, 16, 32, 64]),
        'resnet20': (20, [16, 16, 32, 64]),
        'resnet32': (32, [16, 16, 32, 64]),
        'resnet44': (44, [16, 16, 32, 64]),
        'resnet56': (56, [16, 16, 32, 64]),
        'resnet110': (110, [16, 16, 32, 64]),
        'resnet8x4': (8, [32, 64, 128, 256]),
        'resnet32x4': (32, [32, 64, 128, 256]),
    }
    wrns = {
        'wrn_16_1': (16, 1),
        'wrn_16_2': (16, 2),
        'wrn_40_1': (40, 1),
        'wrn_40_2': (40, 2)
    }
    if name in resnets:
        return RefResNet(*resnets[name])
    if name in wrns:
        return RefWideResNet(*wrns[name])
    if name in VGG_CFG:
        return RefVGG(VGG_CFG[name])
    return {
        'ResNet18': lambda: RefResNetV2(RefV2Basic, [2, 2, 2, 2]),
        'ResNet50': lambda: RefResNetV2(RefV2Bottleneck, [3, 4, 6, 3]),
        'ShuffleV1': RefShuffleV1,
        'ShuffleV2': RefShuffleV2,
        'MobileNetV2': RefMobileNetV2,
        'MobileNetV1': RefMobileNetV1,
    }[name]()


def randomize_(model, seed=0):
    """Random weights *and* batch-norm statistics (all distinct), so that a
    wrong key mapping cannot go unnoticed, kept well-conditioned."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(0.5 + torch.rand(c, generator=gen))
                m.bias.copy_(0.1 * torch.randn(c, generator=gen))
                m.running_mean.copy_(0.1 * torch.randn(c, generator=gen))
                m.running_var.copy_(0.5 + torch.rand(c, generator=gen))
                m.num_batches_tracked.fill_(7)
            elif isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                m.weight.copy_(
                    torch.randn(m.weight.shape, generator=gen) /
                    math.sqrt(fan_in))
                if m.bias is not None:
                    m.bias.copy_(0.1 * torch.randn(
                        m.bias.shape, generator=gen))
    return model.eval()


class PooledClassifier(nn.Module):
    """backbone -> global average pooling -> ``head.fc``: the computation of
    mmpretrain's ``ImageClassifier(backbone, GlobalAveragePooling,
    LinearClsHead)`` and the same state-dict names."""

    def __init__(self, backbone, num_classes):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Module()
        self.head.fc = nn.Linear(backbone.out_channels, num_classes)

    def forward(self, x):
        feat = self.backbone(x)[-1]
        return self.head.fc(feat.mean(dim=(2, 3)))


def build_ours(name, **kwargs):
    cfg = copy.deepcopy(CIFAR_ZOO[name]['backbone'])
    cfg.update(kwargs)
    return getattr(B, cfg.pop('type'))(**cfg)


def num_params(model):
    return sum(p.numel() for p in model.parameters())


ALL_NAMES = list(CIFAR_ZOO)
MDISTILLER_CIFAR_NAMES = [
    'resnet56', 'resnet110', 'resnet32x4', 'ResNet50', 'wrn_40_2', 'vgg13',
    'resnet8', 'resnet14', 'resnet20', 'resnet32', 'resnet44', 'resnet8x4',
    'ResNet18', 'wrn_16_1', 'wrn_16_2', 'wrn_40_1', 'vgg8', 'vgg11', 'vgg16',
    'vgg19', 'MobileNetV2', 'ShuffleV1', 'ShuffleV2'
]

# --------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------


def test_zoo_covers_mdistiller_names():
    assert set(CIFAR_ZOO) == set(MDISTILLER_CIFAR_NAMES) | {'MobileNetV1'}
    registered = MODELS.module_dict  # no import of other locations
    for name in ('CifarResNet', 'CifarWideResNet', 'CifarVGG',
                 'CifarResNet50', 'CifarResNetV2', 'CifarShuffleNetV1',
                 'CifarShuffleNetV2', 'CifarMobileNetV2', 'KDMobileNetV1'):
        assert name in registered, name
    for entry in CIFAR_ZOO.values():
        assert entry['backbone']['type'] in registered


@pytest.mark.parametrize('name', ALL_NAMES)
def test_backbone_matches_reference(name):
    torch.manual_seed(0)
    ref = randomize_(build_reference(name))
    num_classes = 1000 if name == 'MobileNetV1' else 100  # ImageNet model
    ours = build_ours(name)
    size = CIFAR_ZOO[name]['input_size']

    # parameter count: backbone + Linear(out_channels, classes) == original
    assert ours.out_channels == CIFAR_ZOO[name]['out_channels']
    model = PooledClassifier(ours, num_classes)
    assert num_params(model) == num_params(ref)

    # conversion fills every key of our classifier, strictly
    converted = convert_mdistiller_state_dict(ref.state_dict(), name)
    assert list(converted) == list(model.state_dict())
    model.load_state_dict(converted, strict=True)
    model.eval()

    x = torch.randn(1 if size > 32 else 2, 3, size, size)
    with torch.no_grad():
        feats = ours(x)
        expected = ref(x)
        logits = model(x)
    assert isinstance(feats, tuple) and len(feats) == 1
    side = {32: {2: 2, 4: 4, 8: 8}, 224: {7: 7}}[size]
    assert feats[-1].shape[:2] == (x.shape[0], ours.out_channels)
    assert feats[-1].shape[2] == feats[-1].shape[3] in side
    torch.testing.assert_close(logits, expected, rtol=1e-4, atol=1e-4)


LAST_MAP_SHAPES = {
    'resnet8': (64, 8), 'resnet110': (64, 8), 'resnet8x4': (256, 8),
    'resnet32x4': (256, 8), 'ResNet18': (512, 4), 'ResNet50': (2048, 4),
    'wrn_16_1': (64, 8), 'wrn_40_2': (128, 8), 'vgg8': (512, 4),
    'vgg13': (512, 4), 'MobileNetV2': (1280, 2), 'ShuffleV1': (960, 4),
    'ShuffleV2': (1024, 4), 'MobileNetV1': (1024, 7),
}


@pytest.mark.parametrize('name', list(LAST_MAP_SHAPES))
def test_last_map_shape(name):
    channels, side = LAST_MAP_SHAPES[name]
    size = CIFAR_ZOO[name]['input_size']
    ours = build_ours(name).eval()
    with torch.no_grad():
        out = ours(torch.randn(1, 3, size, size))
    assert out[-1].shape == (1, channels, side, side)


@pytest.mark.parametrize('name', ['resnet8x4', 'wrn_16_2', 'vgg8',
                                  'ResNet18', 'ShuffleV1', 'ShuffleV2',
                                  'MobileNetV2', 'MobileNetV1'])
def test_out_indices(name):
    ours = build_ours(name)
    num_stages = ours.num_stages
    all_stages = build_ours(name, out_indices=tuple(range(num_stages)))
    all_stages.load_state_dict(ours.state_dict())
    size = CIFAR_ZOO[name]['input_size']
    x = torch.randn(1, 3, size, size)
    ours.eval(), all_stages.eval()
    with torch.no_grad():
        last = ours(x)
        outs = all_stages(x)
        negative = build_ours(name, out_indices=(0, -1))
        negative.load_state_dict(ours.state_dict())
        first_last = negative.eval()(x)
    assert len(outs) == num_stages
    assert [o.shape[1] for o in outs] == list(all_stages.stage_channels)
    torch.testing.assert_close(outs[-1], last[0])
    assert len(first_last) == 2
    torch.testing.assert_close(first_last[0], outs[0])
    with pytest.raises(ValueError):
        build_ours(name, out_indices=num_stages)


def test_vgg_pools_after_block3_for_64x64_inputs():
    ref = randomize_(build_reference('vgg8'))
    model = PooledClassifier(build_ours('vgg8'), 100)
    model.load_state_dict(convert_mdistiller_state_dict(
        ref.state_dict(), 'vgg8'))
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert model.eval().backbone(x)[-1].shape == (2, 512, 4, 4)
        torch.testing.assert_close(model(x), ref(x), rtol=1e-4, atol=1e-4)


def test_original_initialisation():
    # kaiming fan-out convs and identity batch norms, as the originals
    torch.manual_seed(0)
    ours = build_ours('resnet32x4')
    assert torch.all(ours.bn1.weight == 1) and torch.all(ours.bn1.bias == 0)
    std = ours.layer3[0].conv1.weight.std().item()
    assert abs(std - math.sqrt(2 / (256 * 9))) < 0.1 * std


def test_unknown_arch():
    with pytest.raises(KeyError, match='resnet9'):
        B.CifarResNet(arch='resnet9')
    with pytest.raises(KeyError, match='wrn_10_2'):
        B.CifarWideResNet(arch='wrn_10_2')
    with pytest.raises(KeyError, match='vgg7'):
        B.CifarVGG(arch='vgg7')


def _mmpretrain_available():
    try:
        import mmpretrain.models  # noqa: F401
    except Exception:  # ImportError, or mmcv missing / broken
        return False
    return True


@pytest.mark.skipif(
    not _mmpretrain_available(),
    reason='mmpretrain is not importable (it needs mmcv); the '
    'ImageClassifier round-trip needs it')
def test_mmpretrain_image_classifier_loads_cli_checkpoint(tmp_path):
    from mmengine.registry import DefaultScope
    from mmengine.runner import load_checkpoint
    from mmpretrain.registry import MODELS as MMPRE_MODELS

    ref = randomize_(build_reference('resnet8x4'))
    src, dst = tmp_path / 'ckpt_epoch_240.pth', tmp_path / 'r8x4.pth'
    torch.save({'epoch': 240, 'model': ref.state_dict()}, src)
    # the CLI, in-process (test_converters runs it as a subprocess)
    tool = osp.join(REPO, 'tools/model_converters/mdistiller_to_mmlogitkd.py')
    spec = importlib.util.spec_from_file_location('_md2mmlkd', tool)
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    assert cli.main([str(src), str(dst), '--arch', 'resnet8x4']) == 0

    cfg = dict(
        type='ImageClassifier',
        backbone=dict(type='mmlogitkd.CifarResNet', arch='resnet8x4'),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=100, in_channels=256))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MMPRE_MODELS.build(cfg)
    assert model.backbone.out_channels == 256
    load_checkpoint(model, str(dst), map_location='cpu', strict=True)
    model.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        logits = model(x, mode='tensor')
        expected = ref(x)
    torch.testing.assert_close(logits, expected, rtol=1e-4, atol=1e-4)

    # the zoo's config builds the same model, also from our default scope
    zoo_cfg = get_classifier_cfg('resnet8x4', num_classes=100)
    with DefaultScope.overwrite_default_scope('mmlogitkd'):
        zoo_model = MODELS.build(zoo_cfg)
    assert type(zoo_model) is type(model)
    load_checkpoint(zoo_model, str(dst), map_location='cpu', strict=True)
    with torch.no_grad():
        torch.testing.assert_close(
            zoo_model.eval()(x, mode='tensor'), expected, rtol=1e-4,
            atol=1e-4)
