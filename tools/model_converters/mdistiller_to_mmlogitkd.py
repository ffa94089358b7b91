# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Convert a RepDistiller / mdistiller CIFAR checkpoint to an mmpretrain
``ImageClassifier`` checkpoint of the mmlogitkd CIFAR zoo.

Example::

    python tools/model_converters/mdistiller_to_mmlogitkd.py \\
        download_ckpts/cifar_teachers/resnet32x4_vanilla/ckpt_epoch_240.pth \\
        checkpoints/resnet32x4_cifar100.pth --arch resnet32x4

The result loads with ``mmengine.runner.load_checkpoint(model, DST,
strict=True)`` into ``ImageClassifier(backbone=<CIFAR_ZOO[arch]>,
neck=GlobalAveragePooling, head=LinearClsHead(num_classes, out_channels))``.
"""
import argparse
import os.path as osp
import sys

try:
    import mmlogitkd  # noqa: F401
except ImportError:  # run from a source checkout without installing
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))))

from mmlogitkd.models.backbones.cifar_zoo import CIFAR_ZOO, get_classifier_cfg  # noqa: E402
from mmlogitkd.models.converters.mdistiller import (  # noqa: E402
    ConversionError,
    convert_mdistiller_checkpoint,
)
from mmlogitkd.utils import CheckpointError  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert a RepDistiller / mdistiller checkpoint to an '
        'mmpretrain ImageClassifier checkpoint (mmlogitkd CIFAR zoo).')
    parser.add_argument('src', help='source checkpoint (.pth)')
    parser.add_argument('dst', help='output checkpoint (.pth)')
    parser.add_argument(
        '--arch',
        required=True,
        choices=list(CIFAR_ZOO),
        metavar='NAME',
        help='mdistiller model name, one of: ' + ', '.join(CIFAR_ZOO))
    parser.add_argument(
        '--prefix',
        default=None,
        help='take only the source keys under this prefix and strip it, '
        'e.g. "module.student." for a saved mdistiller distiller')
    parser.add_argument(
        '--allow-unsafe-checkpoint',
        '--trust-pickle',  # its former name
        dest='allow_unsafe_checkpoint',
        action='store_true',
        help='read SRC without safe loading\'s allow-list; only for a file '
        'you trust, since unpickling it can run code it names')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        result = convert_mdistiller_checkpoint(
            args.src,
            args.dst,
            args.arch,
            prefix=args.prefix,
            trust_pickle=args.allow_unsafe_checkpoint)
    except (ConversionError, CheckpointError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    meta = result['meta']
    print(f'Converted {args.src} ({args.arch}) -> {args.dst}: '
          f'{len(result["state_dict"])} tensors, '
          f'{meta["num_classes"]} classes.')
    print('Model config:',
          get_classifier_cfg(args.arch, num_classes=meta['num_classes']))
    return 0


if __name__ == '__main__':
    sys.exit(main())
