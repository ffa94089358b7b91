# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Label once, distill many: run a config's frozen teacher once over E
epochs of its training set and store its logits for every (epoch, sample).

    python tools/cache_teacher_logits.py CONFIG --epochs E \\
        [--dtype fp16|fp32] [--out DIR] [--cfg-options k=v ...]
    bash tools/dist_cache_teacher_logits.sh CONFIG NUM_PROCS --epochs E ...
    python tools/train.py CONFIG --cfg-options model.teacher_cache=DIR

CONFIG is a classification or re-identification distillation config
(``ClsLogitDistiller``, ``ReIDLogitDistiller``: a distiller with
``supports_teacher_cache``).
Its teacher is built and loaded exactly as the distiller does
(``teacher_ckpt``, safe loading) and run, in eval mode under ``no_grad``,
on the training set with the seeded augmentation of ``tools/train.py``
(every sample a pure function of (seed, epoch, index)), in the very batches
a single-process training run forms in epochs ``0 .. E-1`` (its sampler's
order, its batch size): an fp32 cache holds the logits that run's teacher
would compute, bit for bit. A training run longer than E epochs replays
the augmentation of epoch ``e mod E``.

Writes ``DIR/logits.npy`` ``[E, N, C]`` (and ``DIR/cells.npy``
``[E, N, C, K]`` when the config has a ``ScaleDecoupledLoss``: the cell
logits at its ``sdd_scales``), memory-mapped numpy arrays, and
``DIR/meta.json`` (teacher sha256, dataset length, data fingerprint (the
ordered file names or in-memory images' hashes, and labels), classes,
pipeline, seed, teacher preprocessing, dtype, epochs, ...) with
``DIR/samples.npy`` (the fingerprint's per-sample digests). ``DIR``
defaults to the config's ``model.teacher_cache``, else
``work_dirs/teacher_cache/<config>``.

Resumable: the batches written are recorded in ``DIR/progress/`` after the
arrays are flushed (atomic renames); running the same command again
continues where a killed run stopped. Several processes (``RANK`` /
``WORLD_SIZE`` of ``torchrun``, as ``tools/dist_train.sh`` sets them) take
every ``WORLD_SIZE``-th batch each and write disjoint rows of the same
files; no process group is needed, and any number of processes may finish
a cache begun with another.
"""
import argparse
import copy
import fcntl
import math
import os
import os.path as osp
import sys
import time
from contextlib import contextmanager

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import mmlogitkd  # noqa: E402,F401  (the torchvision shim first)

# isort: split
import numpy as np  # noqa: E402
import torch  # noqa: E402

from mmlogitkd.apis.cfg_options import CfgOptionsAction  # noqa: E402

FP16_MAX = 65504.0
#: meta fields a resumed run must share with the cache it continues
IDENTITY = ('epochs', 'dataset_length', 'data_fingerprint', 'num_classes',
            'cells', 'sdd_scales', 'dtype', 'teacher_sha256',
            'teacher_data_preprocessor', 'pipeline', 'seed', 'batch_size',
            'logits_shape', 'cells_shape')
DTYPES = dict(fp16=np.float16, fp32=np.float32)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Cache a distillation config's teacher logits over E "
        'epochs of seeded augmentation (see the module docstring).')
    parser.add_argument(
        'config', help='a ClsLogitDistiller or ReIDLogitDistiller config')
    parser.add_argument(
        '--epochs', type=int, required=True,
        help='epochs of augmentation to cache (E); a longer training run '
        'replays epoch e mod E')
    parser.add_argument(
        '--dtype', choices=sorted(DTYPES), default='fp16',
        help='fp16 (default, half the storage; error within fp16 rounding) '
        'or fp32 (bit-identical to the teacher in the loop)')
    parser.add_argument(
        '--out', help='cache folder (default: model.teacher_cache of the '
        'config, else work_dirs/teacher_cache/<config name>)')
    parser.add_argument(
        '--device', help="'cpu' or 'cuda[:i]' (default: cuda:LOCAL_RANK "
        'when a GPU is there, else cpu)')
    parser.add_argument(
        '--flush-every', type=float, default=30.,
        help='seconds between flushes of the arrays and the progress '
        'record (default 30; a killed run redoes at most that much)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=CfgOptionsAction,
        help='override settings of the config, as key=value pairs; a dict '
        'through its dotted keys (model.teacher.head.num_classes=100)')
    parser.add_argument(
        '--allow-unsafe-checkpoint', action='store_true',
        help='read teacher_ckpt without the safe loader (a file you trust)')
    parser.add_argument('--no-progress', action='store_true',
                        help='no progress bar')
    # testing and manual sharding: rank / world size without torchrun
    parser.add_argument('--rank', type=int, help=argparse.SUPPRESS)
    parser.add_argument('--world-size', type=int, help=argparse.SUPPRESS)
    parser.add_argument('--stop-after', type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error('--epochs must be >= 1')
    args.rank = int(os.environ.get('RANK', 0)) if args.rank is None \
        else args.rank
    args.world_size = int(os.environ.get('WORLD_SIZE', 1)) \
        if args.world_size is None else args.world_size
    if not 0 <= args.rank < args.world_size:
        parser.error(f'rank {args.rank} is not in [0, {args.world_size})')
    return args


class CacheToolError(RuntimeError):
    pass


@contextmanager
def locked(folder):
    """An exclusive lock on ``folder/.lock`` among the tool's processes."""
    os.makedirs(folder, exist_ok=True)
    with open(osp.join(folder, '.lock'), 'a') as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def log(args, msg):
    if args.rank == 0:
        print(msg, flush=True)


# ------------------------------------------------------------------- setup
def load_cfg(args):
    from mmengine.registry import init_default_scope

    from mmlogitkd.apis import (
        apply_seeded_data,
        check_data_paths,
        check_registered_types,
        load_runtime_cfg,
        register_all_modules,
    )
    from mmlogitkd.utils import install_checkpoint_hooks
    install_checkpoint_hooks()
    register_all_modules(init_default_scope=False)
    cfg = load_runtime_cfg(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmlogitkd'))
    check_registered_types(cfg)
    check_data_paths(cfg)
    seed = (cfg.get('randomness') or {}).get('seed')
    if seed is None:
        raise CacheToolError(
            f'{args.config} sets no randomness.seed: a cache replays the '
            'augmentation of a fixed seed (set randomness.seed).')
    # the cache's epoch e is augmentation epoch e
    cfg.pop('augment_cycle', None)
    if not apply_seeded_data(cfg):
        raise CacheToolError(
            f'{args.config}: the training data cannot be seeded per '
            '(seed, epoch, index) (it needs an epoch-based loop, a '
            'DefaultSampler, no batch sampler and not seeded_data=False), '
            'so no cache can replay it.')
    return cfg, seed


def build_teacher_side(cfg, args):
    """The config's distiller, built as the runner builds it (the
    top-level data_preprocessor merged in), teacher loaded, without a
    ``teacher_cache``; and the teacher's preprocessing config."""
    from mmlogitkd.distillers import BaseLogitDistiller
    from mmlogitkd.distillers.teacher_cache import teacher_preprocessor_cfg
    from mmlogitkd.registry import MODELS
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.pop('teacher_cache', None)
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    distiller_cls = MODELS.get(model_cfg.get('type'))
    if not (isinstance(distiller_cls, type)
            and issubclass(distiller_cls, BaseLogitDistiller)
            and distiller_cls.supports_teacher_cache):
        raise CacheToolError(
            f'{args.config}: model.type={model_cfg.get("type")!r}; teacher '
            'caches are made for the distillers whose teacher logits depend '
            'on the image alone (ClsLogitDistiller, ReIDLogitDistiller).')
    if not model_cfg.get('teacher_ckpt'):
        raise CacheToolError(
            f'{args.config} has no model.teacher_ckpt: a cache of an '
            'untrained teacher teaches nothing (set model.teacher_ckpt).')
    if args.allow_unsafe_checkpoint:
        model_cfg['allow_unsafe_checkpoint'] = True
    dp = model_cfg.get('data_preprocessor')
    if isinstance(dp, dict) and distiller_cls.default_preprocessor:
        dp = dict(dp)
        dp.setdefault('type', distiller_cls.default_preprocessor)
    teacher_dp = teacher_preprocessor_cfg(model_cfg.teacher,
                                          distiller_cls.host_scope, dp)
    torch.manual_seed(0)  # the student's init is irrelevant here
    distiller = MODELS.build(model_cfg)
    return distiller, teacher_dp


def epoch_orders(dataset, sampler, epochs):
    """Each epoch's sample order of a single-process training run."""
    n = len(dataset)
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        order = np.fromiter((index for _, index in sampler), dtype=np.int64)
        if len(order) != n or not np.array_equal(np.sort(order),
                                                 np.arange(n)):
            raise CacheToolError(
                'the training sampler does not visit every sample once per '
                f'epoch ({len(order)} indices for {n} samples): teacher '
                'caches need a DefaultSampler-like order.')
        yield order


def collate_fn(loader_cfg):
    from functools import partial

    from mmengine.registry import FUNCTIONS
    cfg = dict(loader_cfg.get('collate_fn') or dict(type='pseudo_collate'))
    fn = FUNCTIONS.get(cfg.pop('type'))
    return partial(fn, **cfg)


# -------------------------------------------------------------------- main
def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except CacheToolError as err:
        print(f'ERROR: {err}', file=sys.stderr, flush=True)
        return 2


def run(args) -> int:
    from mmengine.dataset import DefaultSampler  # noqa: F401 (registered)
    from torch.utils.data import DataLoader

    from mmlogitkd.distillers.data_fingerprint import data_fingerprint
    from mmlogitkd.distillers.teacher_cache import (
        CACHE_FORMAT,
        CACHE_VERSION,
        CELLS_FILE,
        LOGITS_FILE,
        META_FILE,
        TeacherLogitCache,
        epoch_units,
        load_progress,
        normalized,
        save_progress,
        save_sample_digests,
        train_pipeline_cfg,
        write_json_atomic,
    )
    from mmlogitkd.registry import DATA_SAMPLERS, DATASETS

    tic = time.time()
    cfg, seed = load_cfg(args)
    out = args.out or cfg.model.get('teacher_cache') or osp.join(
        'work_dirs', 'teacher_cache',
        osp.splitext(osp.basename(args.config))[0])
    local_rank = int(os.environ.get('LOCAL_RANK', 0))
    device = torch.device(args.device or (
        f'cuda:{local_rank}' if torch.cuda.is_available() else 'cpu'))

    loader_cfg = cfg.train_dataloader
    dataset = DATASETS.build(loader_cfg.dataset)  # a SeededDataset
    if hasattr(dataset, 'full_init'):
        dataset.full_init()
    sampler = DATA_SAMPLERS.build(
        loader_cfg.sampler, default_args=dict(dataset=dataset, seed=seed))
    # which samples, in which order, with which labels: checked before
    # training from the cache
    fingerprint, sample_digests = data_fingerprint(dataset)
    distiller, teacher_dp = build_teacher_side(cfg, args)
    distiller.to(device).eval()
    teacher = distiller.teacher

    n, epochs, batch_size = len(dataset), args.epochs, loader_cfg.batch_size
    units = math.ceil(n / batch_size)
    from mmlogitkd.distillers import logit_width
    classes = logit_width(teacher)
    scales = list(distiller.sdd_scales) if distiller.uses_views else None
    cells = sum(m * m for m in scales) if scales else None
    dtype = DTYPES[args.dtype]
    meta = dict(
        format=CACHE_FORMAT,
        version=CACHE_VERSION,
        complete=False,
        epochs=epochs,
        dataset_length=n,
        data_fingerprint=fingerprint,
        num_classes=classes,
        cells=cells,
        sdd_scales=scales,
        dtype=np.dtype(dtype).name,
        teacher_sha256=distiller.teacher_sha256(),
        teacher_ckpt=cfg.model.teacher_ckpt,
        teacher_data_preprocessor=teacher_dp,
        pipeline=train_pipeline_cfg(loader_cfg.dataset),
        seed=seed,
        batch_size=batch_size,
        config=args.config,
        logits_shape=[epochs, n, classes],
        cells_shape=[epochs, n, classes, cells] if cells else None,
        torch=torch.__version__)
    meta = normalized(meta)
    logits_path = osp.join(out, LOGITS_FILE)
    cells_path = osp.join(out, CELLS_FILE)

    # one process creates the arrays; a rerun must be the same cache
    with locked(out):
        meta_path = osp.join(out, META_FILE)
        if osp.isfile(meta_path):
            try:
                old = TeacherLogitCache(out, require_complete=False).meta
            except ValueError as err:  # another format version, ...
                raise CacheToolError(
                    f'{out} holds a teacher cache this tool cannot continue '
                    f'({err}). Choose another --out, or delete {out} to '
                    'start over.') from None
            for field in IDENTITY:
                if normalized(old.get(field)) != meta[field]:
                    raise CacheToolError(
                        f'{out} holds a teacher cache made differently: '
                        f'{field} differs, cache {old.get(field)!r} vs now '
                        f'{meta[field]!r}. Choose another --out, or delete '
                        f'{out} to start over.')
            if old.get('complete'):
                log(args, f'{out}: already complete ({epochs} epochs x {n} '
                    'samples), nothing to do.')
                return 0
            meta['seconds'] = old.get('seconds', 0.)
        if not osp.isfile(logits_path) or (cells and
                                           not osp.isfile(cells_path)):
            np.lib.format.open_memmap(
                logits_path, 'w+', dtype, tuple(meta['logits_shape']))
            if cells:
                np.lib.format.open_memmap(
                    cells_path, 'w+', dtype, tuple(meta['cells_shape']))
            # rows of an earlier record are gone with the old arrays
            for path in (osp.join(out, 'progress', f)
                         for f in (os.listdir(osp.join(out, 'progress'))
                                   if osp.isdir(osp.join(out, 'progress'))
                                   else [])):
                os.remove(path)
        if not osp.isfile(meta_path):
            save_sample_digests(out, sample_digests)
            write_json_atomic(meta_path, meta)
    logits_mm = np.load(logits_path, mmap_mode='r+')
    cells_mm = np.load(cells_path, mmap_mode='r+') if cells else None

    done, err = load_progress(out, (epochs, units))
    orders = list(epoch_orders(dataset, sampler, epochs))
    pending = [(e, u) for e in range(epochs) for u in range(units)
               if (e * units + u) % args.world_size == args.rank
               and not done[e, u]]
    batches = [[(e, int(i)) for i in epoch_units(orders[e], batch_size)[u]]
               for e, u in pending]
    total_mine = sum(1 for g in range(epochs * units)
                     if g % args.world_size == args.rank)
    log(args, f'Teacher cache {out}: {epochs} epochs x {n} samples x '
        f'{classes} classes{f" x {cells} cells" if cells else ""}, '
        f'{np.dtype(dtype).name}, batches of {batch_size}; '
        f'{args.world_size} process(es); rank {args.rank}: '
        f'{len(pending)} of its {total_mine} batches to do.')

    loader = DataLoader(
        dataset,
        batch_sampler=batches,
        num_workers=loader_cfg.get('num_workers', 0),
        collate_fn=collate_fn(loader_cfg))
    bar = None
    if not args.no_progress and args.rank == 0 and pending:
        from tqdm import tqdm
        bar = tqdm(total=len(pending), unit='batch', desc='teacher logits',
                   file=sys.stderr, dynamic_ncols=True)

    def flush():
        logits_mm.flush()
        if cells_mm is not None:
            cells_mm.flush()
        # only now are these rows on disk: record them
        save_progress(out, args.rank, done, err)

    last_flush, written = time.time(), 0
    for (epoch, unit), batch in zip(pending, loader):
        index = np.fromiter((s.seeded_index for s in batch['data_samples']),
                            dtype=np.int64)
        data = distiller.data_preprocessor(batch, True)
        inputs = data.get('teacher_inputs', data['inputs'])
        with torch.no_grad():
            logits, views = distiller._logits(teacher, inputs)
        for mm, values in ((logits_mm, logits), (cells_mm, views)):
            if mm is None:
                continue
            values = values.float().cpu().numpy()
            if dtype is np.float16:
                err = np.maximum(err, fp16_errors(values))
            mm[epoch, index] = values.astype(dtype)
        done[epoch, unit] = True
        written += 1
        if bar is not None:
            bar.update(1)
        if time.time() - last_flush >= args.flush_every:
            flush()
            last_flush = time.time()
        if args.stop_after is not None and written >= args.stop_after:
            flush()
            log(args, f'stopped after {written} batches (--stop-after)')
            return 3
    flush()
    if bar is not None:
        bar.close()

    # whichever process sees every batch written completes the record
    with locked(out):
        done_all, err_all = load_progress(out, (epochs, units))
        record = TeacherLogitCache(out, require_complete=False).meta
        record['seconds'] = float(record.get('seconds', 0.)) + (time.time() -
                                                               tic)
        if done_all.all():
            record['complete'] = True
            if dtype is np.float16:
                record['fp16_max_abs_error'] = float(err_all[0])
                record['fp16_max_rel_error'] = float(err_all[1])
        write_json_atomic(osp.join(out, META_FILE), record)
    remaining = int((~done_all).sum())
    size = osp.getsize(logits_path) + (osp.getsize(cells_path)
                                       if cells else 0)
    if remaining:
        log(args, f'rank {args.rank} done; {remaining} batches of other '
            'ranks still to write.')
    else:  # said by the process that completed it
        extra = ''
        if dtype is np.float16:
            extra = (f'; fp16 rounding: max |error| {err_all[0]:.3g}, max '
                     f'relative {err_all[1]:.3g} (bound 2^-11 = '
                     f'{2.**-11:.3g})')
        print(f'Teacher cache complete: {out} ({size / 2**20:.1f} MiB, '
              f'{time.time() - tic:.1f} s{extra}). Train from it with '
              f'--cfg-options model.teacher_cache={out}', flush=True)
    return 0


def fp16_errors(values: np.ndarray) -> np.ndarray:
    """``[max |fp16(x) - x|, max relative error]`` of a float32 block;
    refuses values fp16 cannot hold."""
    peak = float(np.abs(values).max()) if values.size else 0.
    if not np.isfinite(values).all() or peak > FP16_MAX:
        raise CacheToolError(
            f'teacher logits reach {peak:.6g}, beyond fp16 (max {FP16_MAX}) '
            'or not finite: use --dtype fp32.')
    error = np.abs(values.astype(np.float16).astype(np.float32) - values)
    scale = np.abs(values)
    normal = scale >= 2.**-14  # fp16 normal range: relative bound holds
    rel = float((error[normal] / scale[normal]).max()) if normal.any() else 0.
    return np.array([float(error.max()) if error.size else 0., rel])


if __name__ == '__main__':
    sys.exit(main())
