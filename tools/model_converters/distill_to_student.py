# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Extract the student of a distillation checkpoint as a plain checkpoint
of its host library (mmpretrain, mmdet), loadable without mmlogitkd; with
``--config``, also write the student's own config beside it.

    python tools/model_converters/distill_to_student.py \
        work_dirs/frcnn_r101_r18_coco/epoch_12.pth \
        checkpoints/frcnn_r18_student.pth \
        --config configs/ldrld/frcnn_r101_r18_coco.py
    # -> checkpoints/frcnn_r18_student.pth and checkpoints/frcnn_r18_student.py,
    #    which mmdet's init_detector and tools/test.py load as they are

SRC is read safely (a file that needs Python objects beyond tensors and plain
types is refused unless ``--allow-unsafe-checkpoint``); it may hold the
teacher or not (``save_teacher``), only the student is written.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmlogitkd.models.converters import distill_to_student  # noqa: E402
from mmlogitkd.utils import CheckpointError  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='distillation checkpoint (.pth)')
    parser.add_argument('dst', help='where to write the student checkpoint')
    parser.add_argument(
        '--config',
        help='the distillation config of SRC: the student\'s own config is '
        'written to DST with a .py suffix')
    parser.add_argument(
        '--allow-unsafe-checkpoint',
        action='store_true',
        help='read SRC without safe loading\'s allow-list; only for a file '
        'you trust, since unpickling it can run code it names')
    args = parser.parse_args(argv)
    cfg = None
    if args.config:  # fail on a bad config before writing anything
        from mmengine.config import Config

        from mmlogitkd.apis import register_all_modules
        from mmlogitkd.distillers import student_runtime_config
        register_all_modules(init_default_scope=False)
        cfg = student_runtime_config(Config.fromfile(args.config))
    try:
        num_keys = distill_to_student(
            args.src, args.dst, allow_unsafe=args.allow_unsafe_checkpoint)
    except (CheckpointError, FileNotFoundError) as err:
        # a refused or damaged SRC: the message says which and why
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(f'Saved the student ({num_keys} tensors) to {args.dst}')
    if cfg is not None:
        cfg_path = osp.splitext(args.dst)[0] + '.py'
        cfg.dump(cfg_path)
        print(f'Saved its config to {cfg_path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
