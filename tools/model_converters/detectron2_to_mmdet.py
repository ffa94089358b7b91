# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Convert a Detectron2 Faster R-CNN ResNet-FPN model-zoo ``.pkl`` to an
mmdet 3.x ``FasterRCNN`` checkpoint.

Example (the paper's detection teacher, 42.0 box AP)::

    python tools/model_converters/detectron2_to_mmdet.py \\
        model_final_f6e8b1.pkl checkpoints/frcnn_r101_fpn_caffe_d2.pth \\
        --config configs/_base_/models/frcnn_r101_fpn_caffe_d2.py

The ``.pkl`` is read with a restricted unpickler (numpy arrays and plain
containers only), so converting an untrusted file runs no code from it;
``--allow-unsafe-checkpoint`` lifts the restriction for a file you trust.
With ``--config`` the model of that config is built (no weights are
downloaded) and the converted state dict must load into it strictly; the
differences are listed otherwise, and the input normalisation a Detectron2
checkpoint stores is compared with the config's ``data_preprocessor``.
"""
import argparse
import os
import os.path as osp
import sys

try:
    import mmlogitkd  # noqa: F401
except ImportError:  # run from a source checkout without installing
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))))

import torch  # noqa: E402

from mmlogitkd.models.converters.detectron2 import (  # noqa: E402
    ConversionError,
    convert_detectron2_checkpoint,
)
from mmlogitkd.utils import CheckpointError, atomic_save  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert a Detectron2 Faster R-CNN R-50/101-FPN '
        'model-zoo .pkl to an mmdet FasterRCNN checkpoint.')
    parser.add_argument('src', help='Detectron2 checkpoint (.pkl)')
    parser.add_argument('dst', help='output checkpoint (.pth)')
    parser.add_argument(
        '--config',
        default=None,
        help='mmdet model config to check strict loading against, e.g. '
        'configs/_base_/models/frcnn_r101_fpn_caffe_d2.py (or '
        'mmlogitkd::_base_/models/frcnn_r101_fpn_caffe_d2.py)')
    parser.add_argument(
        '--allow-unsafe-checkpoint',
        action='store_true',
        help='unpickle SRC without the restriction to numpy arrays and '
        'plain containers; only for a file you trust')
    return parser.parse_args(argv)


def build_model(config: str) -> torch.nn.Module:
    """Build the ``model`` of ``config`` in mmdet's scope, weights unset.

    ``init_cfg`` is dropped everywhere so nothing is downloaded and no
    pretrained weights hide a key the checkpoint fails to fill.
    """
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config, ConfigDict
    from mmengine.registry import DefaultScope

    if config.startswith('mmlogitkd::'):
        config = osp.join(REPO, 'configs', config.split('::', 1)[1])
    cfg = Config.fromfile(config)
    if 'model' not in cfg:
        raise ConversionError(f'{config} defines no `model`')
    model_cfg = cfg.model.to_dict()

    def drop_init_cfg(obj):
        if isinstance(obj, dict):
            obj.pop('init_cfg', None)
            for value in obj.values():
                drop_init_cfg(value)
        elif isinstance(obj, (list, tuple)):
            for value in obj:
                drop_init_cfg(value)

    drop_init_cfg(model_cfg)
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmdet'):
        # ConfigDict: mmdet reads sub-configs as attributes (train_cfg.rpn)
        return MODELS.build(ConfigDict(model_cfg))


def check_against_model(model: torch.nn.Module, result: dict) -> list:
    """Problems loading ``result`` into ``model`` (empty when it loads).

    Lists missing / unexpected keys and shape mismatches, then loads
    strictly, and compares a stored ``pixel_mean`` / ``pixel_std`` with the
    model's ``data_preprocessor``.
    """
    state_dict = result['state_dict']
    expected = model.state_dict()
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    mismatched = [
        f'{k}: checkpoint {tuple(v.shape)} vs model '
        f'{tuple(expected[k].shape)}' for k, v in state_dict.items()
        if k in expected and v.shape != expected[k].shape
    ]
    problems = []
    for title, keys in (('missing in the checkpoint', missing),
                        ('unexpected in the checkpoint', unexpected),
                        ('shape mismatch', mismatched)):
        if keys:
            shown = keys[:20] + ([f'... ({len(keys) - 20} more)']
                                 if len(keys) > 20 else [])
            problems.append(f'{len(keys)} {title}:\n    ' +
                            '\n    '.join(shown))
    if not problems:
        model.load_state_dict(state_dict, strict=True)
    meta = result['meta']
    preprocessor = getattr(model, 'data_preprocessor', None)
    for key, attr in (('pixel_mean', 'mean'), ('pixel_std', 'std')):
        if key in meta and getattr(preprocessor, attr, None) is not None:
            ours = [float(v) for v in getattr(preprocessor, attr).flatten()]
            if any(abs(a - b) > 1e-3 for a, b in zip(meta[key], ours)):
                problems.append(f'the checkpoint was trained with {key} '
                                f'{meta[key]} but the config normalises '
                                f'with {attr} {ours}')
    return problems


def main(argv=None):
    args = parse_args(argv)
    try:
        result = convert_detectron2_checkpoint(
            args.src, allow_unsafe=args.allow_unsafe_checkpoint)
        if args.config:
            problems = check_against_model(build_model(args.config), result)
            if problems:
                print(f'error: the converted {args.src} does not match the '
                      f'model of {args.config}:\n  ' + '\n  '.join(problems),
                      file=sys.stderr)
                return 1
            result['meta']['config'] = args.config
        os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
        atomic_save(result, args.dst)
    except (ConversionError, CheckpointError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    meta = result['meta']
    print(f'Converted {args.src} (Detectron2 Faster R-CNN R-{meta["depth"]}'
          f'-FPN, {meta["num_classes"]} classes) -> {args.dst}: '
          f'{len(result["state_dict"])} tensors' +
          (f'; loads strictly into the model of {args.config}.'
           if args.config else '.'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
