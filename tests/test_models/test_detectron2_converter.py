# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Detectron2 Faster R-CNN -> mmdet converter (function, safe loading, CLI)
and the two R-101 FPN model configs.

The synthetic Detectron2 state is named by the rules written out here
(Detectron2's module names, read from its sources), not by inverting the
converter, and shaped by the mmdet model the config builds.
"""
import importlib.util
import math
import os
import os.path as osp
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmlogitkd.models.converters import (
    ConversionError,
    detectron2_to_mmdet,
    load_detectron2_pkl,
)
from mmlogitkd.models.converters.detectron2 import UnsafePickleError

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
D2_CONFIG = osp.join(REPO, 'configs', '_base_', 'models',
                     'frcnn_r101_fpn_caffe_d2.py')
MMDET_CONFIG = osp.join(REPO, 'configs', '_base_', 'models',
                        'frcnn_r101_fpn.py')
TOOL = osp.join(REPO, 'tools', 'model_converters', 'detectron2_to_mmdet.py')

#: (mmdet ResNet layer, Detectron2 stage, blocks) of ResNet-101.
STAGES = [('layer1', 'res2', 3), ('layer2', 'res3', 4), ('layer3', 'res4', 23),
          ('layer4', 'res5', 3)]
#: mmdet module -> Detectron2 module of the FPN and the heads.
HEAD_MODULES = {
    **{f'neck.lateral_convs.{i}.conv': f'backbone.fpn_lateral{i + 2}'
       for i in range(4)},
    **{f'neck.fpn_convs.{i}.conv': f'backbone.fpn_output{i + 2}'
       for i in range(4)},
    'rpn_head.rpn_conv': 'proposal_generator.rpn_head.conv',
    'rpn_head.rpn_cls': 'proposal_generator.rpn_head.objectness_logits',
    'rpn_head.rpn_reg': 'proposal_generator.rpn_head.anchor_deltas',
    'roi_head.bbox_head.shared_fcs.0': 'roi_heads.box_head.fc1',
    'roi_head.bbox_head.shared_fcs.1': 'roi_heads.box_head.fc2',
    'roi_head.bbox_head.fc_cls': 'roi_heads.box_predictor.cls_score',
    'roi_head.bbox_head.fc_reg': 'roi_heads.box_predictor.bbox_pred',
}
FROZEN_BN = ('weight', 'bias', 'running_mean', 'running_var')


def mmdet_to_d2_names():
    """{mmdet key: Detectron2 key} of every weight (no BN counters)."""
    names = {}

    def conv_bn(mm_conv, mm_bn, d2_conv):
        names[f'{mm_conv}.weight'] = f'{d2_conv}.weight'
        for p in FROZEN_BN:  # Detectron2 keeps a conv's norm inside it
            names[f'{mm_bn}.{p}'] = f'{d2_conv}.norm.{p}'

    conv_bn('backbone.conv1', 'backbone.bn1', 'backbone.bottom_up.stem.conv1')
    for layer, stage, blocks in STAGES:
        for b in range(blocks):
            mm, d2 = f'backbone.{layer}.{b}', f'backbone.bottom_up.{stage}.{b}'
            for k in (1, 2, 3):
                conv_bn(f'{mm}.conv{k}', f'{mm}.bn{k}', f'{d2}.conv{k}')
            if b == 0:
                conv_bn(f'{mm}.downsample.0', f'{mm}.downsample.1',
                        f'{d2}.shortcut')
    for mm, d2 in HEAD_MODULES.items():
        for p in ('weight', 'bias'):
            names[f'{mm}.{p}'] = f'{d2}.{p}'
    return names


def d2_cell_anchors_reference():
    """Detectron2's ``DefaultAnchorGenerator.generate_cell_anchors`` for
    Base-RCNN-FPN (one size per level, ratios 0.5, 1, 2), per level."""
    levels = []
    for size in (32, 64, 128, 256, 512):
        anchors = []
        for aspect_ratio in (0.5, 1.0, 2.0):
            w = math.sqrt(size**2.0 / aspect_ratio)
            h = aspect_ratio * w
            anchors.append([-w / 2.0, -h / 2.0, w / 2.0, h / 2.0])
        levels.append(np.array(anchors, dtype=np.float32))
    return levels


def _load_tool():
    spec = importlib.util.spec_from_file_location('_d2_to_mmdet_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _build(cfg_path):
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.registry import DefaultScope
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmdet'):
        return MODELS.build(Config.fromfile(cfg_path).model)


def _dump(obj, path, protocol=pickle.DEFAULT_PROTOCOL):
    with open(path, 'wb') as f:
        pickle.dump(obj, f, protocol=protocol)
    return str(path)


def _d2_ckpt(model):
    return {'model': model, '__author__': 'Detectron2 Model Zoo',
            'matching_heuristics': True}


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    return _build(D2_CONFIG).eval()


@pytest.fixture(scope='module')
def d2_state(model):
    """A Detectron2-format state for the mmdet model: every weight under its
    Detectron2 name with random values, plus the non-weight entries old
    Detectron2 checkpoints keep (pixel mean / std, RPN cell anchors)."""
    rng = np.random.default_rng(0)
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    state = {}
    for mm, d2 in mmdet_to_d2_names().items():
        state[d2] = rng.standard_normal(shapes[mm], dtype=np.float32)
        if d2.endswith('running_var'):
            state[d2] = np.abs(state[d2]) + 0.5
    state['pixel_mean'] = np.array([103.53, 116.28, 123.675],
                                   np.float32).reshape(3, 1, 1)
    state['pixel_std'] = np.ones((3, 1, 1), np.float32)
    for i, anchors in enumerate(d2_cell_anchors_reference()):
        state[f'proposal_generator.anchor_generator.cell_anchors.{i}'] = \
            anchors
    return state


@pytest.fixture(scope='module')
def d2_pkl(d2_state, tmp_path_factory):
    """``d2_state`` pickled as Detectron2's model zoo does (written once:
    R-101 FPN is ~240 MB)."""
    return _dump(_d2_ckpt(d2_state),
                 tmp_path_factory.mktemp('d2') / 'model_final.pkl')


def test_configs_define_only_model():
    for path in (D2_CONFIG, MMDET_CONFIG):
        cfg = Config.fromfile(path)
        assert set(cfg.keys()) == {'model'}, path
        assert cfg.model.type == 'FasterRCNN' and cfg.model.backbone.depth \
            == 101
    d2 = Config.fromfile(D2_CONFIG).model
    assert d2.backbone.style == 'caffe' and not d2.data_preprocessor.bgr_to_rgb
    assert d2.data_preprocessor.mean == [103.530, 116.280, 123.675]
    assert d2.data_preprocessor.std == [1.0, 1.0, 1.0]


def test_name_rules_cover_the_model(model):
    expected = {k for k in model.state_dict()
                if not k.endswith('num_batches_tracked')}
    assert set(mmdet_to_d2_names()) == expected


def test_convert_via_pickle(model, d2_state, d2_pkl):
    loaded = load_detectron2_pkl(d2_pkl)
    assert loaded['__author__'] == 'Detectron2 Model Zoo'
    converted = detectron2_to_mmdet(loaded['model'])

    target = model.state_dict()
    assert list(converted) == list(dict.fromkeys(converted))  # no repeats
    assert set(converted) == set(target)
    for mm, d2 in mmdet_to_d2_names().items():
        assert converted[mm].shape == target[mm].shape, mm
        assert torch.equal(converted[mm], torch.from_numpy(d2_state[d2])), mm
    for key in target:
        if key.endswith('num_batches_tracked'):
            assert converted[key].item() == 0, key
    model.load_state_dict(converted, strict=True)

    from mmdet.testing import demo_mm_inputs
    data = model.data_preprocessor(
        demo_mm_inputs(batch_size=1, image_shapes=[(3, 96, 128)]), False)
    with torch.no_grad():
        cls_score, bbox_pred = model(**data, mode='tensor')[0][:2]
    assert cls_score.shape[1] == 81 and bbox_pred.shape[1] == 320
    assert torch.isfinite(cls_score).all()


def test_tool_with_config(model, d2_state, d2_pkl, tmp_path):
    src = d2_pkl
    dst = str(tmp_path / 'out' / 'teacher.pth')
    assert _load_tool().main([src, dst, '--config', D2_CONFIG]) == 0
    saved = torch.load(dst, map_location='cpu', weights_only=True)
    assert saved['meta']['depth'] == 101
    assert saved['meta']['num_classes'] == 80
    assert saved['meta']['cell_anchors_checked'] is True
    assert saved['meta']['pixel_mean'] == pytest.approx([103.53, 116.28,
                                                         123.675])
    assert set(saved['state_dict']) == set(model.state_dict())
    d2 = mmdet_to_d2_names()
    key = 'backbone.layer3.22.conv2.weight'
    assert torch.equal(saved['state_dict'][key],
                       torch.from_numpy(d2_state[d2[key]]))


def test_tool_reports_config_mismatch(d2_pkl, tmp_path, capsys):
    # the pytorch-style config has the same keys; its RGB / ImageNet-std
    # normalisation contradicts the checkpoint's stored pixel mean / std
    src = d2_pkl
    dst = str(tmp_path / 'teacher.pth')
    assert _load_tool().main([src, dst, '--config', MMDET_CONFIG]) == 1
    assert 'pixel_mean' in capsys.readouterr().err
    assert not osp.exists(dst)


def test_missing_unknown_and_misshapen_keys(d2_state):
    state = dict(d2_state)
    del state['roi_heads.box_head.fc2.bias']
    state['roi_heads.mask_head.mask_fcn1.weight'] = np.zeros((1, ), 'f4')
    with pytest.raises(ConversionError) as err:
        detectron2_to_mmdet(state)
    assert 'roi_heads.box_head.fc2.bias' in str(err.value)
    assert 'roi_heads.mask_head.mask_fcn1.weight' in str(err.value)

    state = dict(d2_state)
    state['backbone.fpn_lateral3.weight'] = np.zeros((256, 256, 1, 1), 'f4')
    with pytest.raises(ConversionError, match='backbone.fpn_lateral3.weight'):
        detectron2_to_mmdet(state)


def test_anchor_order_checked(d2_state):
    state = dict(d2_state)
    key = 'proposal_generator.anchor_generator.cell_anchors.0'
    state[key] = state[key][::-1].copy()  # ratios (2, 1, 0.5)
    with pytest.raises(ConversionError, match='cell_anchors.0'):
        detectron2_to_mmdet(state)


def test_rpn_and_box_layouts_match_detectron2():
    """What the plain renaming relies on, against Detectron2's code
    (transcribed from anchor_generator.py, rpn.py, box_regression.py)."""
    from mmdet.registry import TASK_UTILS
    from mmdet.utils import register_all_modules
    from mmengine.registry import DefaultScope
    register_all_modules(init_default_scope=False)
    rpn = Config.fromfile(D2_CONFIG).model.rpn_head
    with DefaultScope.overwrite_default_scope('mmdet'):
        gen = TASK_UTILS.build(rpn.anchor_generator)
        coder = TASK_UTILS.build(
            Config.fromfile(D2_CONFIG).model.roi_head.bbox_head.bbox_coder)

    # base anchors: same boxes in the same (aspect ratio) order
    for ours, ref in zip(gen.base_anchors, d2_cell_anchors_reference()):
        torch.testing.assert_close(ours, torch.from_numpy(ref))
    # grid anchors: (y, x, anchor) order, offset 0
    h, w, stride = 3, 5, 4
    ys, xs = torch.meshgrid(torch.arange(h) * stride,
                            torch.arange(w) * stride, indexing='ij')
    shifts = torch.stack([xs, ys, xs, ys], dim=-1).reshape(-1, 1, 4).float()
    d2_grid = (shifts + torch.from_numpy(
        d2_cell_anchors_reference()[0]).view(1, -1, 4)).reshape(-1, 4)
    torch.testing.assert_close(
        gen.grid_priors([(h, w)] + [(1, 1)] * 4, device='cpu')[0], d2_grid)
    # RPN head outputs: objectness channel a and delta channels 4a..4a+3
    # belong to anchor a in both (mmdet: permute(1, 2, 0).reshape(-1, 4))
    deltas = torch.randn(1, 12, h, w)
    d2_deltas = deltas.view(1, -1, 4, h, w).permute(0, 3, 4, 1, 2).flatten(
        1, -2)[0]
    torch.testing.assert_close(deltas[0].permute(1, 2, 0).reshape(-1, 4),
                               d2_deltas)
    # box decoding: Box2BoxTransform(weights=(10, 10, 5, 5)).apply_deltas
    boxes = torch.tensor([[10., 20., 50., 90.], [0., 0., 30., 30.]])
    deltas = torch.randn(2, 8) * 0.5  # two classes, class-major
    wx, wy, ww, wh = 10., 10., 5., 5.
    widths, heights = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    ctr_x, ctr_y = boxes[:, 0] + 0.5 * widths, boxes[:, 1] + 0.5 * heights
    dx, dy = deltas[:, 0::4] / wx, deltas[:, 1::4] / wy
    dw, dh = deltas[:, 2::4] / ww, deltas[:, 3::4] / wh
    px, py = dx * widths[:, None] + ctr_x[:, None], dy * heights[:, None] + \
        ctr_y[:, None]
    pw, ph = torch.exp(dw) * widths[:, None], torch.exp(dh) * heights[:, None]
    d2_boxes = torch.stack(
        [px - 0.5 * pw, py - 0.5 * ph, px + 0.5 * pw, py + 0.5 * ph],
        dim=2).reshape(2, 8)
    ours = coder.decode(boxes.repeat(1, 2).reshape(-1, 4),
                        deltas.reshape(-1, 4)).reshape(2, 8)
    torch.testing.assert_close(ours, d2_boxes)


def test_box_head_flattens_like_detectron2(model):
    """FastRCNNConvFCHead: flatten [N, C, 7, 7] then fc1-relu-fc2-relu."""
    head = model.roi_head.bbox_head
    x = torch.randn(2, 256, 7, 7)
    fc1, fc2 = head.shared_fcs
    with torch.no_grad():
        feat = torch.relu(fc2(torch.relu(fc1(torch.flatten(x, 1)))))
        cls_score, bbox_pred = head(x)
    torch.testing.assert_close(cls_score, head.fc_cls(feat))
    torch.testing.assert_close(bbox_pred, head.fc_reg(feat))


@pytest.mark.parametrize('protocol', [2, 4, 5])
def test_loads_numpy_pickles_of_any_protocol(tmp_path, protocol):
    arrays = {'a': np.arange(6, dtype=np.float32).reshape(2, 3),
              'b': np.float32(3.5) * np.ones(1, np.float32)}
    path = _dump(_d2_ckpt(arrays), tmp_path / 'small.pkl', protocol)
    loaded = load_detectron2_pkl(path)
    np.testing.assert_array_equal(loaded['model']['a'], arrays['a'])
    if protocol == 2:
        # numpy 1 wrote numpy.core.*: accepted too
        data = Path(path).read_bytes()
        assert b'numpy._core.multiarray' in data
        with open(path, 'wb') as f:
            f.write(data.replace(b'numpy._core.multiarray',
                                 b'numpy.core.multiarray'))
        loaded = load_detectron2_pkl(path)
        np.testing.assert_array_equal(loaded['model']['a'], arrays['a'])


class _System:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


class _Open:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import builtins
        return (builtins.open, (self.marker, 'w'))


@pytest.mark.parametrize('payload,refused', [(_System, 'system'),
                                             (_Open, 'open')])
def test_malicious_pickle_refused(tmp_path, payload, refused):
    marker = tmp_path / 'pwned'
    path = _dump(_d2_ckpt({'w': payload(str(marker))}), tmp_path / 'evil.pkl')
    with pytest.raises(UnsafePickleError) as err:
        load_detectron2_pkl(path)
    assert path in str(err.value) and refused in str(err.value)
    assert not marker.exists()
    # the CLI refuses it too, writing nothing
    dst = tmp_path / 'out.pth'
    assert _load_tool().main([path, str(dst)]) == 1
    assert not marker.exists() and not dst.exists()


def test_not_a_checkpoint(tmp_path):
    good = _dump(_d2_ckpt({'w': np.zeros((4, 4), np.float32)}),
                 tmp_path / 'good.pkl')
    truncated = tmp_path / 'truncated.pkl'
    truncated.write_bytes(Path(good).read_bytes()[:60])
    text = tmp_path / 'notes.txt'
    text.write_text('hello, this is not a pickle\n')
    saved = tmp_path / 'torch.pth'
    torch.save({'w': torch.zeros(2)}, saved)
    for path in (truncated, text, saved):
        with pytest.raises(ConversionError,
                           match='not a Detectron2 checkpoint') as err:
            load_detectron2_pkl(str(path))
        assert str(path) in str(err.value)
    wrong = _dump([1, 2], tmp_path / 'list.pkl')
    with pytest.raises(ConversionError, match='not a Detectron2 checkpoint'):
        load_detectron2_pkl(wrong)
