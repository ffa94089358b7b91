# Copyright (c) mmlogitkd contributors. All rights reserved.
import os.path as osp
from functools import partial
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import MMLogger
from mmengine.model import BaseModel
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

from mmlogitkd.registry import MODELS

#: torchreid's input normalisation (ImageNet statistics, RGB, 0-255 scale)
TORCHREID_PREPROCESSOR = dict(
    type='mmpretrain.ClsDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

# what a torchreid network needs for the split forward of this wrapper:
# featuremaps -> global_avgpool -> fc (None or Sequential) -> classifier
_REQUIRED = ('featuremaps', 'global_avgpool', 'fc', 'classifier')


def build_torchreid_net(name: str, num_classes: int) -> nn.Module:
    """``torchreid.reid.models.build_model(name, num_classes)`` with random
    weights: ``pretrained=False`` always, since torchreid would download
    ImageNet weights at build time. The names of
    :data:`~mmlogitkd.models.reid.narrow_resnet.NARROW_RESNETS` (torchreid's
    ResNet-18 at a fraction of its width) build those."""
    try:
        from torchreid.reid.models import build_model
    except ImportError as e:  # pragma: no cover - depends on the env
        raise ImportError('TorchreidClassifier wraps torchreid models; '
                          'install it with `pip install torchreid==0.2.5` '
                          '(tools/install.sh does).') from e
    from .narrow_resnet import NARROW_RESNETS
    if name in NARROW_RESNETS:
        return NARROW_RESNETS[name](num_classes, loss='softmax')
    return build_model(
        name, num_classes, loss='softmax', pretrained=False, use_gpu=False)


@MODELS.register_module()
class TorchreidClassifier(BaseModel):
    """A torchreid re-identification network as an mmengine model.

    The network of ``torchreid.reid.models.build_model(name, num_classes)``
    (ResNet-18/50, ``resnet50_fc512``, OSNet) is split where the logit
    distillers need it: ``featuremaps`` (:meth:`extract_feat`, ``[N, c, h,
    w]``), global average pooling, the optional ``fc`` embedding layers
    (OSNet, ``*_fc512``: Linear-BatchNorm1d-ReLU) and the identity
    ``classifier``.

    The network's layers are this model's own children, under torchreid's
    names: parameters and state-dict keys are exactly torchreid's
    (``conv1.weight``, ``layer4.1.bn2.running_mean``, ``classifier.weight``),
    so a checkpoint written by torchreid (``save_checkpoint``: weights under
    ``'state_dict'``, maybe ``module.`` prefixed) loads as it is, strictly,
    and the student's weights load into torchreid unchanged.

    Modes:

    - ``loss``: label-smoothed cross-entropy on the identity logits
      ``[N, num_classes]`` (torchreid's softmax recipe, epsilon 0.1), as
      ``loss``;
    - ``predict``: the embedding ``[D]`` that torchreid's network returns in
      eval mode (pooled feature map, through ``fc`` if any), stored in each
      data sample as ``pred_feature``; the samples' metainfo (``pid``,
      ``camid``, ``is_query``) is passed through;
    - ``tensor``: the identity logits ``[N, num_classes]``.

    Args:
        name (str): torchreid model name: ``'resnet50'``, ``'resnet18'``;
            ``'osnet_x1_0'`` and other names with the same structure work
            too, and ``'resnet18_x0_5'`` / ``'resnet18_x0_25'``
            (:class:`~mmlogitkd.models.reid.narrow_resnet.NarrowResNet`).
        num_classes (int): Number of training identities (751 on
            Market-1501).
        label_smooth (float): Label-smoothing epsilon of the cross-entropy.
            Defaults to 0.1 (torchreid's ``label_smooth=True``).
        loss_weight (float): Weight of the cross-entropy. Defaults to 1.0.
        pretrained (str, optional): A local checkpoint (e.g. torchvision's
            ``resnet50-19c8e357.pth``) loaded by :meth:`init_weights` the way
            torchreid loads ImageNet weights: parameters whose name and shape
            match, the rest (the new classifier) left as initialised.
            Nothing is ever downloaded. ``init_cfg=dict(type='Pretrained',
            checkpoint=...)`` works too. Defaults to None.
        data_preprocessor (dict, optional): Defaults to mmpretrain's
            ``ClsDataPreprocessor`` with torchreid's ImageNet normalisation.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 name: str,
                 num_classes: int,
                 label_smooth: float = 0.1,
                 loss_weight: float = 1.0,
                 pretrained: Optional[str] = None,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(TORCHREID_PREPROCESSOR)
        elif isinstance(data_preprocessor, dict):
            data_preprocessor = dict(data_preprocessor)
            data_preprocessor.setdefault('type',
                                         TORCHREID_PREPROCESSOR['type'])
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if not 0. <= label_smooth < 1.:
            raise ValueError(f'label_smooth must be in [0, 1), got '
                             f'{label_smooth}')
        net = build_torchreid_net(name, num_classes)
        missing = [a for a in _REQUIRED if not hasattr(net, a)]
        fc = getattr(net, 'fc', None)
        fc_ok = fc is None or isinstance(fc, nn.Sequential)
        if missing or not fc_ok or net._parameters or net._buffers:
            raise TypeError(
                f'torchreid model "{name}" is not supported: '
                'TorchreidClassifier needs featuremaps() -> global_avgpool '
                '-> fc (None or nn.Sequential) -> classifier, all its '
                'weights in those layers (as torchreid\'s ResNet and OSNet); '
                f'missing: {missing or "none"}')
        # Adopt the network's layers under their torchreid names (see the
        # class docstring); torchreid's own featuremaps() runs on them.
        for child_name, child in net.named_children():
            self.add_module(child_name, child)
        self.fc = net.fc  # None (ResNet) is not a child
        self._featuremaps = type(net).featuremaps
        self.arch = name
        self.num_classes = num_classes
        self.feature_dim = net.feature_dim
        self.label_smooth = label_smooth
        self.loss_weight = loss_weight
        self.pretrained = pretrained

    # ------------------------------------------------------------- parts
    def extract_feat(self, inputs: Tensor) -> Tensor:
        """The last feature map ``[N, c, h, w]`` (``[N, 2048, 8, 4]`` for
        ResNet-50 at 256x128), torchreid's ``featuremaps``."""
        return self._featuremaps(self, inputs)

    def embed(self, feature_map: Tensor) -> Tensor:
        """The embedding ``[N, D]`` torchreid returns in eval mode: the
        global average pool, through ``fc`` when there is one."""
        pooled = self.global_avgpool(feature_map).flatten(1)
        return pooled if self.fc is None else self.fc(pooled)

    def identity_logits(
        self,
        feature_map: Tensor,
        scales: Optional[Sequence[int]] = None
    ) -> Tuple[Tensor, Optional[Tensor]]:
        """Identity logits ``[N, C]`` and, with ``scales``, the SDD cell
        logits ``[N, C, K]`` of one feature map.

        Cells are pooled regions of the map (see
        :func:`~mmlogitkd.distillers.grid_cell_logits`) put through what
        follows the global pooling: ``classifier`` (ResNet) or
        ``classifier(fc(.))`` (OSNet). A ``BatchNorm1d`` of ``fc`` in
        training mode normalises the cells with the batch statistics of the
        global features, which alone update its running statistics, as the
        ordinary forward does: the 1x1 cell then equals the logits, and the
        cells do not leak into the statistics used at test time.

        Args:
            feature_map (Tensor): ``[N, c, h, w]`` from :meth:`extract_feat`.
            scales (Sequence[int], optional): SDD grid sizes, e.g. (1, 2).

        Returns:
            tuple[Tensor, Tensor | None]: logits ``[N, C]``, cells
            ``[N, C, K]`` or None without ``scales``.
        """
        pooled = self.global_avgpool(feature_map).flatten(1)  # [N, c]
        if self.fc is None:
            logits = self.classifier(pooled)
            cells = None if scales is None else _grid_cell_logits(
                feature_map, self.classifier, scales)
            return logits, cells
        x, batch_stats = pooled, []
        for layer in self.fc:
            if _normalises_by_batch(layer) and scales is not None:
                batch_stats.append((x.mean(0), x.var(0, unbiased=False)))
            x = layer(x)
        logits = self.classifier(x)
        if scales is None:
            return logits, None
        classify = partial(self._classify_cells, batch_stats=batch_stats)
        return logits, _grid_cell_logits(feature_map, classify, scales)

    def _classify_cells(self, cells: Tensor,
                        batch_stats: List[Tuple[Tensor, Tensor]]) -> Tensor:
        """``classifier(fc(cells))`` for cells ``[N, K, c]`` -> ``[N, K, C]``,
        run on ``[N * K, c]`` (``BatchNorm1d`` reads a 3-D input as
        ``[N, c, L]``); batch-normalised layers use ``batch_stats``."""
        n, k, c = cells.shape
        x, stats = cells.reshape(n * k, c), iter(batch_stats)
        for layer in self.fc:
            if _normalises_by_batch(layer):
                # F.batch_norm refuses statistics that carry a gradient
                mean, var = next(stats)
                x = (x - mean) * torch.rsqrt(var + layer.eps)
                if layer.affine:
                    x = x * layer.weight + layer.bias
            else:
                x = layer(x)
        return self.classifier(x).reshape(n, k, -1)

    def identity_loss(self, logits: Tensor,
                      target: Tensor) -> Dict[str, Tensor]:
        """``dict(loss=...)``: torchreid's label-smoothed cross-entropy
        ``-sum_c ((1 - eps) onehot_c + eps / C) log p_c``, batch mean (the
        same value as ``torchreid.reid.losses.CrossEntropyLoss``, without
        its host round trip of the targets).

        Args:
            logits (Tensor): ``[N, C]``.
            target (Tensor): ``[N]`` identity labels.
        """
        loss = F.cross_entropy(
            logits, target, label_smoothing=self.label_smooth)
        return dict(loss=loss * self.loss_weight)

    # ------------------------------------------------------------- modes
    def forward(self,
                inputs: Tensor,
                data_samples: Optional[list] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.identity_logits(self.extract_feat(inputs))[0]
        raise RuntimeError(f'Invalid mode "{mode}": expected "loss", '
                           '"predict" or "tensor".')

    def loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        """Identity cross-entropy of a batch whose data samples carry
        ``gt_label`` (the relabelled pid)."""
        logits, _ = self.identity_logits(self.extract_feat(inputs))
        return self.identity_loss(logits, gt_labels(data_samples, logits))

    def predict(self,
                inputs: Tensor,
                data_samples: Optional[list] = None) -> list:
        """Data samples with ``pred_feature`` ``[D]``, the embedding."""
        features = self.embed(self.extract_feat(inputs))
        if data_samples is None:
            from mmpretrain.structures import DataSample
            data_samples = [DataSample() for _ in range(len(features))]
        for sample, feature in zip(data_samples, features):
            sample.set_field(feature, 'pred_feature')
        return data_samples

    # ------------------------------------------------------------ weights
    def init_weights(self) -> None:
        """``init_cfg``, then the ``pretrained`` file if given."""
        super().init_weights()
        if self.pretrained:
            load_matching_weights(self, self.pretrained)


def gt_labels(data_samples: list, like: Tensor) -> Tensor:
    """``[N]`` labels of the data samples, on the device of ``like``."""
    return torch.cat([ds.gt_label for ds in data_samples]).to(
        like.device, non_blocking=True)


def _normalises_by_batch(layer: nn.Module) -> bool:
    return isinstance(layer, _BatchNorm) and layer.training


def _grid_cell_logits(*args, **kwargs) -> Tensor:
    # imported late: mmlogitkd.distillers imports mmlogitkd.models
    from mmlogitkd.models.cell_logits import grid_cell_logits
    return grid_cell_logits(*args, **kwargs)


def load_matching_weights(model: nn.Module, path: str) -> None:
    """Load the parameters of ``path`` whose names and shapes match the
    model, as torchreid loads ImageNet weights (``init_pretrained_weights``);
    fail when the file is missing or nothing matches."""
    from mmengine.runner.checkpoint import _load_checkpoint

    from mmlogitkd.models.converters import extract_state_dict
    if not osp.isfile(osp.expanduser(path)):
        raise FileNotFoundError(
            f'pretrained weights "{path}" do not exist. Put the ImageNet '
            'weights there (torchvision\'s resnet50-19c8e357.pth / '
            'resnet18-5c106cde.pth, as torchreid uses), or set '
            'pretrained=None.')
    state_dict = extract_state_dict(
        _load_checkpoint(osp.expanduser(path), map_location='cpu'))
    own = model.state_dict()
    matched = {
        k: v
        for k, v in state_dict.items()
        if k in own and tuple(own[k].shape) == tuple(v.shape)
    }
    if not matched:
        raise ValueError(f'no parameter of "{path}" matches the model by '
                         f'name and shape; first keys: '
                         f'{list(state_dict)[:8]}')
    model.load_state_dict(matched, strict=False)
    skipped = sorted(set(own) - set(matched))
    MMLogger.get_current_instance().info(
        f'Loaded {len(matched)} tensors from {path}; left as initialised: '
        f'{skipped}')
