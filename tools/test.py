# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Evaluate a student: from a distillation checkpoint or from the plain
student checkpoint that tools/model_converters/distill_to_student.py writes.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR]
    bash tools/dist_test.sh CONFIG CHECKPOINT 8

With a distillation config, only the student is built (the teacher and its
checkpoint are not needed) and the checkpoint is loaded strictly: one that
fits neither layout fails naming the keys, instead of scoring an untrained
model. Any other config (a student or teacher trained alone) is evaluated as
it is, strictly too.

The checkpoint is read safely, before anything is built: a file that needs
Python objects beyond tensors and plain types is refused (naming the file
and the object) unless ``--allow-unsafe-checkpoint`` says it is trusted; a
damaged or truncated file is reported as such.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.model import is_model_wrapper  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmlogitkd.apis import (  # noqa: E402
    load_runtime_cfg,
    prepare_runtime_cfg,
    register_all_modules,
    run_launched_main,
)
from mmlogitkd.apis.cfg_options import CfgOptionsAction  # noqa: E402
from mmlogitkd.distillers import student_config  # noqa: E402
from mmlogitkd.distillers.student import load_student_state, student_weights  # noqa: E402
from mmlogitkd.utils import install_checkpoint_hooks  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and results')
    parser.add_argument(
        '--out', help='dump the metrics to this file (json/yaml/pkl)')
    parser.add_argument(
        '--amp', action='store_true', help='test with mixed precision')
    parser.add_argument(
        '--allow-unsafe-checkpoint',
        action='store_true',
        help='read CHECKPOINT without safe loading\'s allow-list; only for '
        'a file you trust, since unpickling it can run code it names')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override settings of the config, as key=value pairs; a dict '
        'through its dotted keys (model.test_cfg.rcnn.score_thr=0.05)')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv=None):
    args = parse_args(argv)
    install_checkpoint_hooks()
    register_all_modules(init_default_scope=False)
    cfg = load_runtime_cfg(args.config, args.cfg_options, args.launcher,
                           args.work_dir)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint "{args.checkpoint}" not found')
    # read (safely) before building anything: a refused or damaged file
    # fails in seconds
    weights = student_weights(
        args.checkpoint,
        allow_unsafe=args.allow_unsafe_checkpoint,
        opt_in='pass --allow-unsafe-checkpoint to tools/test.py')
    student = student_config(cfg)
    if student is not None:
        cfg.model = student
    # loaded below, strictly; mmengine's load_from only warns on misfits
    cfg.load_from = None
    cfg.resume = False
    if args.amp:
        cfg.test_cfg = dict(cfg.get('test_cfg') or {}, fp16=True)
    prepare_runtime_cfg(cfg)

    runner = Runner.from_cfg(cfg)
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    load_student_state(model, weights, args.checkpoint)
    metrics = runner.test()
    if args.out:
        from mmengine.fileio import dump
        dump(metrics, args.out)
    print(metrics)


if __name__ == '__main__':
    run_launched_main(main)
