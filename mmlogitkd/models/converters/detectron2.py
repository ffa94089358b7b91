# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Convert Detectron2 Faster R-CNN ResNet-FPN checkpoints to mmdet 3.x.

The detection teacher of the paper is Detectron2's
``COCO-Detection/faster_rcnn_R_101_FPN_3x`` (``model_final_f6e8b1.pkl``,
42.0 box AP). Detectron2 model-zoo files are plain pickles of
``{'model': {name: numpy.ndarray}, '__author__': ..., 'matching_heuristics':
True}``; :func:`load_detectron2_pkl` reads them with an unpickler that only
accepts numpy arrays and plain containers, so a malicious file cannot run
code. :func:`detectron2_to_mmdet` renames the weights to the keys of mmdet's
``FasterRCNN`` built from ``configs/_base_/models/frcnn_r101_fpn_caffe_d2.py``
(caffe-style ResNet, FPN, ``RPNHead``, ``Shared2FCBBoxHead``).

Only names change, no tensor is reordered, because the two implementations
agree on every layout that matters (checked against Detectron2's sources):

- ResNet: Detectron2's ``STRIDE_IN_1X1=True`` bottleneck is mmdet's
  ``style='caffe'``; ``FrozenBatchNorm2d`` (eps 1e-5) computes what mmdet's
  ``BN`` in eval mode computes from the same four tensors.
- FPN: ``fpn_lateral{2..5}`` / ``fpn_output{2..5}`` are mmdet's
  ``lateral_convs.{0..3}`` / ``fpn_convs.{0..3}``; P6 is a stride-2 1x1 max
  pool in both.
- RPN: both order the A=3 anchors of a location by aspect ratio (0.5, 1, 2)
  (one size per level; Detectron2 loops sizes then ratios, mmdet's
  ``AnchorGenerator`` ratios then scales), both read objectness channel ``a``
  and delta channels ``4a..4a+3`` as ``(dx, dy, dw, dh)`` of anchor ``a``,
  with weights (1, 1, 1, 1) and anchors centred on ``(x, y) * stride``
  (Detectron2 ``OFFSET=0``, mmdet ``center_offset=0``).
- Box head: both flatten the [N, 256, 7, 7] RoI features as C x H x W before
  ``fc1``; ``cls_score`` has the background last (index 80), as mmdet;
  ``bbox_pred`` is class-specific, class ``k`` at rows ``4k..4k+3``, with
  weights (10, 10, 5, 5) = mmdet ``target_stds`` (0.1, 0.1, 0.2, 0.2).

Old Detectron2 checkpoints also store ``pixel_mean`` / ``pixel_std`` and the
RPN ``cell_anchors``; they are no weights of the mmdet model, so they are
checked (the cell anchors against mmdet's anchor order, which makes the RPN
channel order above a checked fact for such files) and reported in the
conversion meta instead.
"""
import codecs
import math
import os.path as osp
import pickle
import zipfile
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import numpy as np
import torch

from mmlogitkd.utils.checkpoint import (
    load_checkpoint_file,
    pickle_top_level_keys,
    register_checkpoint_reader,
)
from mmlogitkd.utils.checkpoint_errors import (
    CorruptCheckpointError,
    UnsafeCheckpointError,
)
from .mdistiller import ConversionError

#: Bottleneck blocks per stage (res2..res5) of the supported ResNets.
ARCH_SETTINGS: Dict[int, Tuple[int, int, int, int]] = {
    50: (3, 4, 6, 3),
    101: (3, 4, 23, 3),
    152: (3, 8, 36, 3),
}

#: FrozenBatchNorm2d tensors of Detectron2 -> mmdet BN (same names).
BN_PARAMS = ('weight', 'bias', 'running_mean', 'running_var')

#: Anchor sizes per FPN level (P2..P6) and aspect ratios (h / w) of
#: Detectron2's ``Base-RCNN-FPN.yaml`` = mmdet ``scales=[8]`` x strides
#: (4..64) with ``ratios=[0.5, 1.0, 2.0]``.
D2_ANCHOR_SIZES = (32, 64, 128, 256, 512)
D2_ASPECT_RATIOS = (0.5, 1.0, 2.0)

#: Detectron2 ``MODEL.PIXEL_MEAN`` / ``PIXEL_STD`` defaults (BGR, 0-255).
D2_PIXEL_MEAN = (103.530, 116.280, 123.675)
D2_PIXEL_STD = (1.0, 1.0, 1.0)


class UnsafePickleError(ConversionError, UnsafeCheckpointError):
    """A pickle asks for a global the restricted unpickler refuses (an
    :class:`~mmlogitkd.utils.checkpoint_errors.UnsafeCheckpointError`, as
    for every other checkpoint the toolkit refuses)."""


class NotAPickleError(ConversionError, CorruptCheckpointError):
    """A ``.pkl`` is no pickle, or a truncated one (a
    :class:`~mmlogitkd.utils.checkpoint_errors.CorruptCheckpointError`)."""


def _numpy_attr(*paths: str) -> Callable[[], Any]:
    """Resolve the first importable ``module:attr`` of ``paths`` lazily.

    numpy 2 moved ``numpy.core`` to ``numpy._core`` (the old path still
    imports, with a deprecation warning); pickles of either version name
    either path, so both resolve to what this numpy has.
    """

    def resolve():
        import importlib
        for path in paths:
            module, attr = path.split(':')
            try:
                return getattr(importlib.import_module(module), attr)
            except (ImportError, AttributeError):
                continue
        raise ImportError(f'none of {paths} exists in numpy '
                          f'{np.__version__}')

    return resolve


_RECONSTRUCT = _numpy_attr('numpy._core.multiarray:_reconstruct',
                           'numpy.core.multiarray:_reconstruct')
_SCALAR = _numpy_attr('numpy._core.multiarray:scalar',
                      'numpy.core.multiarray:scalar')
_FROMBUFFER = _numpy_attr('numpy._core.numeric:_frombuffer',
                          'numpy.core.numeric:_frombuffer')

#: The only globals a Detectron2 pickle may name: how numpy pickles arrays,
#: dtypes and scalars (numpy 1 and 2 module paths, protocol 5's
#: ``_frombuffer``), ``OrderedDict``, and ``_codecs.encode``, which Python 3
#: uses for ``bytes`` (the array data) in protocol-2 pickles. None of them
#: can import a module or run code from the file; dict, list, tuple, str,
#: int, float and bytes have their own opcodes.
SAFE_GLOBALS: Dict[Tuple[str, str], Callable[[], Any]] = {
    ('numpy.core.multiarray', '_reconstruct'): _RECONSTRUCT,
    ('numpy._core.multiarray', '_reconstruct'): _RECONSTRUCT,
    ('numpy.core.multiarray', 'scalar'): _SCALAR,
    ('numpy._core.multiarray', 'scalar'): _SCALAR,
    ('numpy.core.numeric', '_frombuffer'): _FROMBUFFER,
    ('numpy._core.numeric', '_frombuffer'): _FROMBUFFER,
    ('numpy', 'ndarray'): lambda: np.ndarray,
    ('numpy', 'dtype'): lambda: np.dtype,
    ('collections', 'OrderedDict'): lambda: OrderedDict,
    ('_codecs', 'encode'): lambda: codecs.encode,
}


class _RestrictedUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` that resolves only :data:`SAFE_GLOBALS`.

    Every way a pickle reaches a callable (GLOBAL, STACK_GLOBAL, INST, OBJ,
    EXT*) goes through ``find_class``, so refusing there means nothing from
    the file is ever called except these constructors.
    """

    def __init__(self, file, path: str):
        # latin1: Detectron2 reads its .pkl files so, for Python 2 pickles
        # (Detectron1 / Caffe2 era) whose str data are numpy buffers.
        super().__init__(file, encoding='latin1')
        self._path = path

    def find_class(self, module: str, name: str) -> Any:
        resolve = SAFE_GLOBALS.get((module, name))
        if resolve is None:
            raise UnsafePickleError(
                f'{self._path}: refused to load global "{module}.{name}": a '
                'Detectron2 checkpoint holds only numpy arrays and plain '
                'containers, so this file is either not a Detectron2 '
                'checkpoint or was crafted to run code when unpickled. '
                'Nothing from it was executed.')
        return resolve()

    def persistent_load(self, pid: Any) -> Any:
        # torch.save pickles use persistent ids for storages.
        raise UnsafePickleError(
            f'{self._path}: the pickle uses persistent ids (a torch.save '
            'file?); a Detectron2 model-zoo .pkl has none.')


def _zip_hint(path: str) -> str:
    if zipfile.is_zipfile(path):
        return (' It is a zip archive, as torch.save writes: convert '
                'Detectron2 model-zoo .pkl files only.')
    return ''


def _check_layout(path: str) -> None:
    """Refuse a file that is not laid out as a Detectron2 checkpoint (a
    pickle of a dict with a ``'model'`` entry), by disassembly, before the
    opt-in unpickles it without restriction: the opt-in trusts the objects
    of a Detectron2 checkpoint, never a file of another format, which would
    run its code and fail anyway."""
    try:
        keys = pickle_top_level_keys(path)
    except CorruptCheckpointError as err:
        raise NotAPickleError(
            f'{path} is not a Detectron2 checkpoint or is truncated: {err}; '
            f'it was not unpickled.{_zip_hint(path)}') from None
    if keys is not None and 'model' in keys:
        return
    if keys is not None and 'blobs' in keys:
        raise ConversionError(
            f'{path} is a Detectron1 / Caffe2 pickle ("blobs"), not a '
            'Detectron2 model-zoo checkpoint; it is not supported.')
    found = (f'a dict with keys {sorted(keys)[:10]}'
             if keys is not None else 'another object')
    raise ConversionError(
        f'{path} is not a Detectron2 checkpoint: expected a pickle of a '
        f'dict with a "model" dict of arrays, found {found}. It was not '
        'unpickled, even with the opt-in, which trusts the objects of a '
        'Detectron2 checkpoint, not files of other formats.')


def load_detectron2_pkl(path: str, allow_unsafe: bool = False) -> dict:
    """Load a Detectron2 model-zoo ``.pkl`` without running code from it.

    :func:`mmlogitkd.utils.checkpoint.load_checkpoint_file` with
    ``fmt='detectron2'`` is the entry point the tools use (this module
    registers the format at import).

    Args:
        path (str): The ``.pkl`` file (e.g. ``model_final_f6e8b1.pkl``).
        allow_unsafe (bool): Unpickle without the restriction, for a file
            the caller trusts; a file not laid out as a Detectron2
            checkpoint (a pickle of a dict with a ``'model'`` entry, told by
            disassembly) is refused before that. Defaults to False.

    Returns:
        dict: The pickled dict, ``{'model': {name: ndarray}, '__author__':
        ..., ...}``.

    Raises:
        UnsafePickleError: If the pickle names any global besides numpy
            arrays / dtypes / scalars and ``OrderedDict``; the message names
            the file and the global.
        NotAPickleError: If the file is no pickle or is truncated.
        ConversionError: If it is not in Detectron2's model-zoo format.
        FileNotFoundError: If ``path`` does not exist.
    """
    path = str(path)
    if allow_unsafe and osp.isfile(path):
        _check_layout(path)
    try:
        with open(path, 'rb') as f:
            if allow_unsafe:
                obj = pickle.Unpickler(f, encoding='latin1').load()
            else:
                obj = _RestrictedUnpickler(f, path).load()
    except (ConversionError, OSError):
        raise
    except Exception as err:  # UnpicklingError, EOFError, ValueError, ...
        raise NotAPickleError(
            f'{path} is not a Detectron2 checkpoint or is truncated '
            f'({osp.getsize(path)} bytes): unpickling failed with '
            f'{type(err).__name__}: {err}.{_zip_hint(path)}') from err
    if not isinstance(obj, dict) or not isinstance(obj.get('model'), dict):
        if isinstance(obj, dict) and 'blobs' in obj:
            raise ConversionError(
                f'{path} is a Detectron1 / Caffe2 pickle ("blobs"), not a '
                'Detectron2 model-zoo checkpoint; it is not supported.')
        desc = (f'a dict with keys {list(obj)[:10]}' if isinstance(
            obj, dict) else f'a {type(obj).__name__}')
        raise ConversionError(
            f'{path} is not a Detectron2 checkpoint: expected a dict with a '
            f'"model" dict of arrays, got {desc}.')
    bad = [
        k for k, v in obj['model'].items()
        if not isinstance(k, str) or not isinstance(v, np.ndarray)
        or v.dtype.hasobject
    ]
    if bad:
        raise ConversionError(
            f'{path} is not a Detectron2 checkpoint: "model" entries that '
            f'are not numeric numpy arrays: {_fmt([str(k) for k in bad])}')
    return obj


register_checkpoint_reader('detectron2', load_detectron2_pkl)


def _fmt(keys: List[str], limit: int = 12) -> str:
    shown = ', '.join(keys[:limit])
    if len(keys) > limit:
        shown += f', ... ({len(keys) - limit} more)'
    return shown


def _detect_depth(names: List[str]) -> int:
    """ResNet depth from the number of ``res{2..5}`` blocks in the keys."""
    blocks = []
    for stage in range(2, 6):
        prefix = f'backbone.bottom_up.res{stage}.'
        ids = {
            int(k[len(prefix):].split('.', 1)[0])
            for k in names if k.startswith(prefix)
            and k[len(prefix):].split('.', 1)[0].isdigit()
        }
        blocks.append(max(ids) + 1 if ids else 0)
    for depth, setting in ARCH_SETTINGS.items():
        if tuple(blocks) == setting:
            return depth
    raise ConversionError(
        'Not a Detectron2 ResNet-FPN Faster R-CNN state: blocks per stage '
        f'res2..res5 are {tuple(blocks)}, expected one of '
        + ', '.join(f'{s} (R-{d})' for d, s in ARCH_SETTINGS.items()) + '.')


def _name_table(depth: int) -> List[Tuple[str, str, Optional[tuple]]]:
    """``(detectron2 name, mmdet name, expected shape or None)`` rows.

    Shapes fixed by the ResNet / FPN architecture are given so a different
    backbone (e.g. ResNeXt's grouped conv2) fails here with its key names;
    heads (class and anchor counts) are checked in
    :func:`_check_head_shapes`.
    """
    rows = []

    def conv(d2, mm, shape, bias=False):
        rows.append((d2 + '.weight', mm + '.weight', shape))
        if bias:
            rows.append((d2 + '.bias', mm + '.bias', shape[:1]))

    def norm(d2, mm, channels):
        for p in BN_PARAMS:
            rows.append((f'{d2}.{p}', f'{mm}.{p}', (channels, )))

    bu = 'backbone.bottom_up'
    conv(f'{bu}.stem.conv1', 'backbone.conv1', (64, 3, 7, 7))
    norm(f'{bu}.stem.conv1.norm', 'backbone.bn1', 64)
    inplanes = 64
    for i, num_blocks in enumerate(ARCH_SETTINGS[depth]):
        planes = 64 * 2**i
        for j in range(num_blocks):
            d2 = f'{bu}.res{i + 2}.{j}'
            mm = f'backbone.layer{i + 1}.{j}'
            if j == 0:
                conv(f'{d2}.shortcut', f'{mm}.downsample.0',
                     (planes * 4, inplanes, 1, 1))
                norm(f'{d2}.shortcut.norm', f'{mm}.downsample.1', planes * 4)
            shapes = ((planes, inplanes if j == 0 else planes * 4, 1, 1),
                      (planes, planes, 3, 3), (planes * 4, planes, 1, 1))
            for k, shape in enumerate(shapes, 1):
                conv(f'{d2}.conv{k}', f'{mm}.conv{k}', shape)
                norm(f'{d2}.conv{k}.norm', f'{mm}.bn{k}', shape[0])
        inplanes = planes * 4
    for lvl in range(4):  # P2..P5
        conv(f'backbone.fpn_lateral{lvl + 2}',
             f'neck.lateral_convs.{lvl}.conv', (256, 256 * 2**lvl, 1, 1),
             bias=True)
    for lvl in range(4):
        conv(f'backbone.fpn_output{lvl + 2}', f'neck.fpn_convs.{lvl}.conv',
             (256, 256, 3, 3), bias=True)
    rpn = 'proposal_generator.rpn_head'
    conv(f'{rpn}.conv', 'rpn_head.rpn_conv', (256, 256, 3, 3), bias=True)
    for d2, mm in (('objectness_logits', 'rpn_cls'),
                   ('anchor_deltas', 'rpn_reg')):
        for p in ('weight', 'bias'):
            rows.append((f'{rpn}.{d2}.{p}', f'rpn_head.{mm}.{p}', None))
    box = 'roi_heads.box_head'
    for d2, mm in ((f'{box}.fc1', 'roi_head.bbox_head.shared_fcs.0'),
                   (f'{box}.fc2', 'roi_head.bbox_head.shared_fcs.1'),
                   ('roi_heads.box_predictor.cls_score',
                    'roi_head.bbox_head.fc_cls'),
                   ('roi_heads.box_predictor.bbox_pred',
                    'roi_head.bbox_head.fc_reg')):
        for p in ('weight', 'bias'):
            rows.append((f'{d2}.{p}', f'{mm}.{p}', None))
    return rows


def _check_head_shapes(get: Callable[[str], tuple]) -> List[str]:
    """Shape problems of the RPN / box head tensors (counts vary)."""
    problems = []

    def expect(name, shape):
        if get(name) != tuple(shape):
            problems.append(f'{name}: {get(name)} vs expected {tuple(shape)}')

    rpn = 'proposal_generator.rpn_head'
    num_anchors = get(f'{rpn}.objectness_logits.weight')[0]
    expect(f'{rpn}.objectness_logits.weight', (num_anchors, 256, 1, 1))
    expect(f'{rpn}.objectness_logits.bias', (num_anchors, ))
    expect(f'{rpn}.anchor_deltas.weight', (num_anchors * 4, 256, 1, 1))
    expect(f'{rpn}.anchor_deltas.bias', (num_anchors * 4, ))
    fc_dim = get('roi_heads.box_head.fc1.weight')[0]
    expect('roi_heads.box_head.fc1.weight', (fc_dim, 256 * 7 * 7))
    expect('roi_heads.box_head.fc1.bias', (fc_dim, ))
    expect('roi_heads.box_head.fc2.weight', (fc_dim, fc_dim))
    expect('roi_heads.box_head.fc2.bias', (fc_dim, ))
    num_cls = get('roi_heads.box_predictor.cls_score.weight')[0]
    expect('roi_heads.box_predictor.cls_score.weight', (num_cls, fc_dim))
    expect('roi_heads.box_predictor.cls_score.bias', (num_cls, ))
    reg = get('roi_heads.box_predictor.bbox_pred.weight')[0]
    # class-specific (4 per foreground class) or class-agnostic (4)
    if reg not in (4 * (num_cls - 1), 4):
        problems.append(f'roi_heads.box_predictor.bbox_pred.weight: {reg} '
                        f'rows for {num_cls - 1} classes, expected '
                        f'{4 * (num_cls - 1)} (or 4, class-agnostic)')
    expect('roi_heads.box_predictor.bbox_pred.weight', (reg, fc_dim))
    expect('roi_heads.box_predictor.bbox_pred.bias', (reg, ))
    return problems


def d2_cell_anchors(
        sizes=D2_ANCHOR_SIZES,
        aspect_ratios=D2_ASPECT_RATIOS) -> List[np.ndarray]:
    """Per-level base anchors (A, 4) in the order the converted RPN expects.

    Detectron2's ``generate_cell_anchors`` formula (w = sqrt(s^2 / a),
    h = a * w, centred on 0), which for one size per level is also mmdet's
    ``AnchorGenerator(scales=[8], ratios=[0.5, 1, 2], strides=[4..64])``
    ``base_anchors`` (``center_offset=0``), rows in aspect-ratio order.
    """
    levels = []
    for size in sizes:
        rows = []
        for ratio in aspect_ratios:
            w = math.sqrt(size * size / ratio)
            h = ratio * w
            rows.append([-w / 2, -h / 2, w / 2, h / 2])
        levels.append(np.asarray(rows, dtype=np.float32))
    return levels


def _check_extras(extras: Dict[str, np.ndarray]) -> Tuple[dict, List[str]]:
    """Check the non-weight entries of old checkpoints; meta and problems.

    ``pixel_mean`` / ``pixel_std`` are the input normalisation (the mmdet
    config's ``data_preprocessor`` must agree); ``cell_anchors.{i}`` are
    the RPN's base anchors, whose row order is the channel order of the
    objectness / delta convs, so they must equal :func:`d2_cell_anchors`.
    """
    meta, problems = {}, []
    for key in ('pixel_mean', 'pixel_std'):
        if key in extras:
            meta[key] = [float(v) for v in np.asarray(extras[key]).ravel()]
    prefix = 'proposal_generator.anchor_generator.cell_anchors.'
    cell = {k: v for k, v in extras.items() if k.startswith(prefix)}
    if cell:
        expected = d2_cell_anchors()
        names = [f'{prefix}{i}' for i in range(len(expected))]
        if sorted(cell) != sorted(names):
            problems.append(f'cell anchors {sorted(cell)}, expected '
                            f'{names}')
        else:
            for name, exp in zip(names, expected):
                got = np.asarray(cell[name], dtype=np.float64)
                if got.shape != exp.shape or not np.allclose(
                        got, exp, atol=1e-3):
                    problems.append(
                        f'{name} = {got.round(2).tolist()} differs from the '
                        'anchors (sizes 32..512, ratios 0.5, 1, 2, in this '
                        f'order) mmdet will use: {exp.round(2).tolist()}')
        meta['cell_anchors_checked'] = not problems
    return meta, problems


def _is_extra(name: str) -> bool:
    return name in ('pixel_mean', 'pixel_std') or name.startswith(
        'proposal_generator.anchor_generator.cell_anchors.')


def _to_tensor(value: Any) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    # a copy: the arrays of a loaded pickle may be read-only buffers
    return torch.from_numpy(np.array(value, copy=True))


def _shape(value: Any) -> tuple:
    return tuple(value.shape)


def _model_dict(d2_state: Mapping) -> Mapping:
    """The name -> array dict, given it or the whole pickled checkpoint."""
    if 'model' in d2_state and isinstance(d2_state['model'], Mapping):
        return d2_state['model']
    return d2_state


def inspect_detectron2_state(d2_state: Mapping) -> dict:
    """Architecture facts of a Detectron2 Faster R-CNN state (for meta).

    Returns:
        dict: ``depth``, ``num_classes`` (foreground), ``num_anchors``,
        ``reg_class_agnostic`` and, when stored, ``pixel_mean`` /
        ``pixel_std`` / ``cell_anchors_checked``.
    """
    model = _model_dict(d2_state)
    depth = _detect_depth(list(model))
    num_cls = _shape(model['roi_heads.box_predictor.cls_score.weight'])[0]
    reg = _shape(model['roi_heads.box_predictor.bbox_pred.weight'])[0]
    meta = dict(
        depth=depth,
        num_classes=num_cls - 1,
        num_anchors=_shape(model['proposal_generator.rpn_head.'
                                 'objectness_logits.weight'])[0],
        reg_class_agnostic=reg == 4 and num_cls != 2)
    meta.update(_check_extras({k: v
                               for k, v in model.items()
                               if _is_extra(k)})[0])
    return meta


def detectron2_to_mmdet(d2_state: Mapping) -> 'OrderedDict[str, torch.Tensor]':
    """Rename a Detectron2 Faster R-CNN R-50/101-FPN state to mmdet keys.

    Args:
        d2_state (Mapping): ``{name: ndarray or Tensor}`` of Detectron2's
            ``GeneralizedRCNN`` (the ``'model'`` entry of a model-zoo
            ``.pkl``; the whole loaded dict is accepted too).

    Returns:
        OrderedDict[str, Tensor]: The state dict of mmdet's ``FasterRCNN``
        with a caffe-style ResNet of the detected depth, ``FPN``,
        ``RPNHead`` and ``Shared2FCBBoxHead``, including
        ``num_batches_tracked`` (0) of each BN, which FrozenBN lacks.

    Raises:
        ConversionError: If a Detectron2 key is unknown (left unused), a key
            the mmdet model needs is missing, or a shape is wrong; the
            message lists the keys. ``pixel_mean`` / ``pixel_std`` /
            ``cell_anchors`` of old checkpoints are no weights: they are
            checked (see :func:`inspect_detectron2_state`), not converted.
    """
    model = _model_dict(d2_state)
    names = list(model)
    depth = _detect_depth(names)
    table = _name_table(depth)

    converted: 'OrderedDict[str, torch.Tensor]' = OrderedDict()
    used = set()
    missing, mismatched = [], []
    for d2_name, mm_name, shape in table:
        if d2_name not in model:
            missing.append(d2_name)
            continue
        used.add(d2_name)
        if shape is not None and _shape(model[d2_name]) != shape:
            mismatched.append(f'{d2_name}: {_shape(model[d2_name])} vs '
                              f'expected {shape}')
        converted[mm_name] = _to_tensor(model[d2_name])
        if mm_name.endswith('.running_var'):
            # FrozenBN has no counter; mmdet's BN state includes one.
            converted[mm_name[:-len('running_var')] +
                      'num_batches_tracked'] = torch.tensor(0)
    extras = {k: model[k] for k in names if _is_extra(k)}
    unused = [k for k in names if k not in used and k not in extras]

    problems = []
    if missing:
        problems.append(f'{len(missing)} Detectron2 key(s) the mmdet '
                        f'R-{depth} Faster R-CNN needs are missing: '
                        f'{_fmt(missing)}')
    if unused:
        problems.append(f'{len(unused)} Detectron2 key(s) unknown to the '
                        f'mapping (left unused): {_fmt(unused)}')
    head_keys = [d2 for d2, _, shape in table if shape is None]
    if not any(k in missing for k in head_keys):
        mismatched += _check_head_shapes(lambda k: _shape(model[k]))
    if mismatched:
        problems.append('shape mismatch: ' + _fmt(mismatched, limit=8))
    problems += _check_extras(extras)[1]
    if problems:
        raise ConversionError(
            'Cannot convert the Detectron2 state to mmdet Faster R-CNN '
            f'R-{depth}-FPN: ' + '; '.join(problems) + '.')
    return converted


def convert_detectron2_checkpoint(src: str,
                                  dst: Optional[str] = None,
                                  allow_unsafe: bool = False) -> dict:
    """Load ``src`` safely, convert it, and ``torch.save`` it to ``dst``.

    ``allow_unsafe=True`` unpickles without restriction, for a file the
    caller trusts.

    Returns:
        dict: ``{'state_dict': OrderedDict, 'meta': dict}``, also what is
        written to ``dst`` when given. ``meta`` records the source, its
        ``__author__`` and :func:`inspect_detectron2_state`.
    """
    ckpt = load_checkpoint_file(
        src,
        fmt='detectron2',
        allow_unsafe=allow_unsafe,
        what='Detectron2 checkpoint',
        opt_in='pass --allow-unsafe-checkpoint to '
        'tools/model_converters/detectron2_to_mmdet.py')
    state_dict = detectron2_to_mmdet(ckpt['model'])
    meta = dict(
        converted_from='detectron2',
        source=osp.basename(str(src)),
        author=str(ckpt.get('__author__', '')),
        model='FasterRCNN',
        **inspect_detectron2_state(ckpt['model']))
    result = dict(state_dict=state_dict, meta=meta)
    if dst is not None:
        torch.save(result, dst)
    return result
