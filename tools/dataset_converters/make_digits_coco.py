# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Write the COCO-format digit detection dataset of the detection quick start.

Usage::

    python tools/dataset_converters/make_digits_coco.py \
        work_dirs/quickstart_det/data

writes ``annotations/instances_{train,val}2017.json`` and the images of
``train2017/`` and ``val2017/`` under ROOT from scikit-learn's handwritten
digits (nothing is downloaded). The defaults are those that
``configs/quickstart_det`` expects. A folder already made with the same
arguments is kept as it is. See ``mmlogitkd/datasets/digits_coco.py``.
"""
import argparse
import os.path as osp
import sys

try:
    import mmlogitkd  # noqa: F401
except ImportError:  # run from a source checkout without installing
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))))

from mmlogitkd.datasets.digits_coco import make_digits_coco  # noqa


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Write a COCO-format detection dataset of scikit-learn '
        'handwritten digits pasted on textured canvases.')
    parser.add_argument('root', help='output folder')
    parser.add_argument(
        '--num-train', type=int, default=1000, help='train images')
    parser.add_argument('--num-val', type=int, default=200, help='val images')
    parser.add_argument(
        '--canvas',
        type=int,
        nargs=2,
        default=(128, 128),
        metavar=('H', 'W'),
        help='image height and width')
    parser.add_argument(
        '--digits-per-image',
        type=int,
        nargs=2,
        default=(2, 6),
        metavar=('MIN', 'MAX'),
        help='range of the number of digits per image')
    parser.add_argument(
        '--digit-size',
        type=int,
        nargs=2,
        default=(16, 48),
        metavar=('MIN', 'MAX'),
        help='range of the side of a pasted digit, in pixels')
    parser.add_argument('--seed', type=int, default=0, help='layout seed')
    parser.add_argument(
        '--split-seed',
        type=int,
        default=0,
        help='seed of the train/val split of the source digits')
    parser.add_argument(
        '--empty-images',
        type=int,
        default=0,
        help='images without digits added to each split')
    parser.add_argument(
        '--max-overlap',
        type=float,
        default=0.,
        help='largest IoU between two pasted digits (0: none)')
    parser.add_argument(
        '--background', choices=['texture', 'plain'], default='texture')
    parser.add_argument(
        '--grey', action='store_true', help='grey instead of random colours')
    parser.add_argument('--img-ext', choices=['png', 'jpg'], default='png')
    parser.add_argument(
        '--force',
        action='store_true',
        help='regenerate even if ROOT was made with the same arguments')
    args = parser.parse_args(argv)
    try:
        out = make_digits_coco(
            args.root,
            num_train=args.num_train,
            num_val=args.num_val,
            canvas=tuple(args.canvas),
            digits_per_image=tuple(args.digits_per_image),
            digit_size=tuple(args.digit_size),
            seed=args.seed,
            split_seed=args.split_seed,
            empty_images=args.empty_images,
            max_overlap=args.max_overlap,
            background=args.background,
            random_color=not args.grey,
            img_ext=args.img_ext,
            force=args.force)
    except ValueError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    state = 'written' if out['generated'] else 'up to date, kept'
    print(f'{out["data_root"]}: {state}')
    for split, ann_file in out['ann_file'].items():
        stats = (out['stats'] or {}).get(split, {})
        print(f'{split}: {stats.get("images", "?")} images, '
              f'{stats.get("instances", "?")} digits -> {ann_file}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
