# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Train a distiller (or any OpenMMLab model) from a config.

    python tools/train.py configs/ldrld/r32x4_r8x4_cifar100.py
    bash tools/dist_train.sh configs/ldrld/r32x4_r8x4_cifar100.py 8

Checkpoints are read safely (``load_from`` and ``--resume`` too): a file
that needs Python objects beyond tensors and plain types is refused before
the model is built, unless the config's top-level
``allow_unsafe_checkpoint=True`` says the user trusts it. Checkpoints are
written atomically, and ``--resume`` without a path continues from the
newest *complete* checkpoint of the work dir.
"""
import argparse
import os
import os.path as osp
import sys

# Runnable from a checkout without `pip install -e .`.
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.runner import Runner  # noqa: E402

from mmlogitkd.apis import (  # noqa: E402
    load_runtime_cfg,
    prepare_runtime_cfg,
    register_all_modules,
    run_launched_main,
)
from mmlogitkd.apis.cfg_options import CfgOptionsAction  # noqa: E402
from mmlogitkd.utils import (  # noqa: E402
    check_checkpoint_file,
    find_resumable_checkpoint,
    install_checkpoint_hooks,
    lock_work_dir,
    trusted_checkpoints,
)

#: How to opt in for a trusted load_from / --resume file, for messages.
OPT_IN = ('set allow_unsafe_checkpoint=True at the top level of the config '
          '(or --cfg-options allow_unsafe_checkpoint=True)')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or from the latest checkpoint '
        'in the work dir when no path is given')
    parser.add_argument(
        '--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate by the real batch size')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='skip validation during training')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override settings of the config, as key=value pairs '
        '(e.g. model.teacher_ckpt=work_dirs/t.pth); a dict through its '
        'dotted keys (model.distill_losses.kd.type=KDLoss)')
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


def resolve_checkpoint(cfg) -> None:
    """Pick and check the checkpoint of ``load_from`` / ``resume`` now,
    before the model is built.

    An automatic resume (``resume=True`` without ``load_from``) continues
    from :func:`find_resumable_checkpoint`: the file ``last_checkpoint``
    names when it is complete, else the newest complete checkpoint. The
    chosen file must pass safe loading's allow-list unless the config's
    top-level ``allow_unsafe_checkpoint`` is True.
    """
    if cfg.get('resume') and not cfg.get('load_from'):
        from mmengine.logging import print_log
        found = find_resumable_checkpoint(
            cfg.work_dir,
            logger=lambda msg: print_log(msg, logger='current', level=30))
        if found is None:
            print_log(
                f'--resume: no complete checkpoint in {cfg.work_dir}; '
                'training starts from scratch.',
                logger='current')
            cfg.resume = False
        cfg.load_from = found
    if cfg.get('load_from'):
        check_checkpoint_file(
            cfg.load_from,
            allow_unsafe=bool(cfg.get('allow_unsafe_checkpoint', False)),
            what='--resume' if cfg.get('resume') else 'load_from',
            opt_in=OPT_IN)


def main(argv=None):
    args = parse_args(argv)
    install_checkpoint_hooks()
    register_all_modules(init_default_scope=False)
    cfg = load_runtime_cfg(args.config, args.cfg_options, args.launcher,
                           args.work_dir)
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.auto_scale_lr:
        cfg.setdefault('auto_scale_lr', {})['enable'] = True
    # one run per work dir: a second one fails here, naming the first
    work_dir_lock = lock_work_dir(cfg.work_dir, cfg.launcher)  # noqa: F841
    prepare_runtime_cfg(cfg)
    resolve_checkpoint(cfg)

    runner = Runner.from_cfg(cfg)
    # only the file of load_from / --resume is trusted, and only when the
    # config says so; every other load of the run stays safe
    trusted = [cfg.load_from] if cfg.get('allow_unsafe_checkpoint') else []
    with trusted_checkpoints(trusted):
        runner.train()


if __name__ == '__main__':
    run_launched_main(main)
