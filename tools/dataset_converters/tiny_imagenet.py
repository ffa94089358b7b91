# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Write mmpretrain ``CustomDataset`` annotation files for Tiny-ImageNet.

Usage::

    python tools/dataset_converters/tiny_imagenet.py data/tiny-imagenet-200

writes ``meta/classes.txt``, ``meta/train.txt`` and ``meta/val.txt`` under
the root (lines ``relative/path label``; no image is copied). See
``mmlogitkd/datasets/tiny_imagenet.py``.
"""
import argparse
import os.path as osp
import sys

try:
    import mmlogitkd  # noqa: F401
except ImportError:  # run from a source checkout without installing
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))))

from mmlogitkd.datasets.tiny_imagenet import convert_tiny_imagenet  # noqa


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Write Tiny-ImageNet annotation files for mmpretrain '
        'CustomDataset.')
    parser.add_argument('root', help='Tiny-ImageNet root (tiny-imagenet-200)')
    parser.add_argument(
        '--out-dir', default=None, help='output folder (default ROOT/meta)')
    args = parser.parse_args(argv)
    try:
        paths = convert_tiny_imagenet(args.root, args.out_dir)
    except (FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    for split, path in paths.items():
        with open(path) as f:
            count = sum(1 for _ in f)
        print(f'{split}: {count} lines -> {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
