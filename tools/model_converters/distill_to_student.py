# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Extract the student of a distillation checkpoint as a plain checkpoint
of its host library (mmpretrain, mmdet), loadable without mmlogitkd.

    python tools/model_converters/distill_to_student.py \
        work_dirs/r32x4_r8x4_cifar100/best_accuracy_top1_epoch_240.pth \
        checkpoints/r8x4_student.pth
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import mmlogitkd  # noqa: E402,F401  (safe loading of mmengine checkpoints)
from mmlogitkd.models.converters import distill_to_student  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='distillation checkpoint (.pth)')
    parser.add_argument('dst', help='where to write the student checkpoint')
    args = parser.parse_args()
    num_keys = distill_to_student(args.src, args.dst)
    print(f'Saved the student ({num_keys} tensors) to {args.dst}')


if __name__ == '__main__':
    main()
