# Copyright (c) mmlogitkd contributors. All rights reserved.
"""One quick-start run: the ``tools/train.py`` subprocess, the metric it
logged, and the keys and records that let a finished run be reused."""
import hashlib
import json
import os
import os.path as osp
import re
import subprocess
import sys
from collections import deque
from typing import Optional, Tuple

__all__ = [
    'ROOT', 'TEACHER_SEED', 'RUN_RECORD', 'RunFailed', 'common_options',
    'resolved_config', 'content_digest', 'config_key', 'run_key',
    'model_file', 'file_digest', 'finished_run', 'save_run',
    'final_checkpoint',
    'timestamp_dirs', 'read_top1', 'show_line', 'train', 'run_env',
    'config_epochs'
]

#: the repository (its configs/ and tools/)
ROOT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
TRAIN = osp.join(ROOT, 'tools', 'train.py')
#: run keys (teacher cache, finished runs) ignore entries that cannot
#: change a result
NOT_RESULT_KEYS = ('work_dir', 'launcher')
#: the teacher is trained once, with its configs' seed (randomness.seed)
TEACHER_SEED = 0
#: a finished student run's result, in its work dir (see finished_run)
RUN_RECORD = 'quickstart_run.json'
_TIMESTAMP = re.compile(r'^\d{8}_\d{6}$')
_LOG_PREFIX = re.compile(r'^\d\d/\d\d \d\d:\d\d:\d\d - mmengine - \w+ - ')
_TRAIN_EPOCH = re.compile(r'(?:Epoch|Iter)\(train\)\s*\[\s*(\d+)')


class RunFailed(RuntimeError):
    """A run (or a measurement) failed; the message shows its command and
    the end of its log."""


def common_options(args) -> list:
    """``--cfg-options`` shared by every run of ``args.task``."""
    opts = []
    if args.epochs is not None:
        opts.append(f'train_cfg.max_epochs={args.epochs}')
    if args.iters is not None:
        opts += [
            f'train_cfg.max_iters={args.iters}',
            f'train_cfg.val_interval={args.iters}',
            f'default_hooks.checkpoint.interval={args.iters}'
        ]
    opts += args.task.data_options(args.work_dir)
    return opts


def resolved_config(config: str) -> dict:
    """A config fully resolved (bases included), without the entries that
    cannot change a result."""
    from mmengine.config import Config
    return {
        k: v
        for k, v in Config.fromfile(config).to_dict().items()
        if k not in NOT_RESULT_KEYS
    }


def content_digest(content) -> str:
    """sha256 (hex) of JSON-able ``content`` (``repr`` for the rest)."""
    return hashlib.sha256(
        json.dumps(content, sort_keys=True,
                   default=repr).encode()).hexdigest()


def config_key(config: str) -> str:
    """Hash of a fully resolved config (bases included)."""
    return content_digest(resolved_config(config))


def run_key(config: str, options, teacher_digest: Optional[str]) -> str:
    """What makes a student run's result: its fully resolved config (bases
    included, and the model files a distillation config names by
    ``cfg_path``), its ``--cfg-options`` (seed included) and the teacher's
    weights (``teacher_digest``)."""
    from mmengine.config import Config
    content = resolved_config(config)
    models = {}
    for role in ('student', 'teacher'):
        cfg_path = (content.get('model') or {}).get(role, {}).get('cfg_path')
        if cfg_path:
            models[role] = Config.fromfile(
                model_file(cfg_path)).to_dict().get('model')
    return content_digest([content, models, list(options), teacher_digest])


def model_file(cfg_path: str) -> str:
    """The file of a distiller's ``cfg_path``: ``mmlogitkd::<path>`` is
    under this repository's ``configs/``, ``<package>::<path>`` an
    installed OpenMMLab package's (as in ``_base_``)."""
    if cfg_path.startswith('mmlogitkd::'):
        return osp.join(ROOT, 'configs', cfg_path.split('::', 1)[1])
    if '::' in cfg_path:
        from mmengine.config import Config
        return Config._get_cfg_path(cfg_path, '')[0]
    return cfg_path


def file_digest(path: str) -> str:
    """The sha256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def finished_run(work_dir: str, key: str) -> Optional[dict]:
    """The record of a finished student run in ``work_dir``
    (``quickstart_run.json``) when it was made with ``key``, else None."""
    path = osp.join(work_dir, RUN_RECORD)
    try:
        with open(path) as f:
            record = json.load(f)
        if record.get('key') != key:
            return None
        record['value'] = float(record['value'])
        record['seconds'] = float(record.get('seconds', 0.))
        if record.get('extra') is not None:
            record['extra'] = float(record['extra'])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # missing or unreadable: train again
    return record


def save_run(work_dir: str, key: str, value: float, extra: Optional[float],
             seconds: float) -> None:
    """Record a finished student run (see :func:`finished_run`)."""
    from mmlogitkd.utils.checkpoint import atomic_write_bytes
    record = dict(key=key, value=value, extra=extra, seconds=seconds)
    atomic_write_bytes(
        json.dumps(record, indent=1).encode(), osp.join(work_dir, RUN_RECORD))


def final_checkpoint(work_dir: str) -> str:
    """The checkpoint a finished run in ``work_dir`` ended with: the one
    ``last_checkpoint`` names, when complete
    (:func:`~mmlogitkd.utils.find_resumable_checkpoint`); a
    :class:`RunFailed` naming the work dir when there is none."""
    from mmlogitkd.utils import find_resumable_checkpoint
    path = find_resumable_checkpoint(work_dir)
    if path is None:
        raise RunFailed(f'the run left no complete checkpoint in {work_dir}')
    return path


def timestamp_dirs(work_dir: str) -> set:
    """The runner's log folders (``YYYYMMDD_HHMMSS``) in ``work_dir``."""
    if not osp.isdir(work_dir):
        return set()
    return {
        d
        for d in os.listdir(work_dir)
        if _TIMESTAMP.match(d) and osp.isdir(osp.join(work_dir, d))
    }


def read_top1(work_dir: str, before: set, key: str, scale: float) -> float:
    """Last value of the scalar ``key`` (e.g. ``accuracy/top1``) of the run
    that made a new timestamp folder in ``work_dir``
    (``<timestamp>/vis_data/scalars.json``), times ``scale`` (to %)."""
    new = sorted(timestamp_dirs(work_dir) - before)
    if not new:
        raise RunFailed(f'the run wrote no log folder in {work_dir}')
    path = osp.join(work_dir, new[-1], 'vis_data', 'scalars.json')
    top1 = None
    if osp.isfile(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                record = json.loads(line)
                if key in record:
                    top1 = float(record[key]) * scale
    if top1 is None:
        raise RunFailed(f'no {key} in {path}')
    return top1


def show_line(line: str, verbose: bool, max_epochs: int,
              by_iter: bool) -> bool:
    """Which runner log lines are shown (all are kept in the log file):
    with an iteration loop (``by_iter``) every training line, else the
    first, the last and every quarter's epoch."""
    if verbose:
        return True
    if 'Epoch(val)' in line:
        return True
    m = _TRAIN_EPOCH.search(line)
    if m and by_iter:
        return True  # a line every logger interval
    if m:
        epoch = int(m.group(1))
        step = max(1, max_epochs // 4)
        return epoch == 1 or epoch % step == 0 or epoch == max_epochs
    return False


def train(name: str,
          config: str,
          work_dir: str,
          options,
          args,
          max_epochs: int,
          metric: Optional[Tuple[str, float]] = None) -> Tuple:
    """Run ``tools/train.py`` in a subprocess; return the test metric of
    ``args.task`` and its extra metric (None without one), or, given
    ``metric`` (a scalar's name and its scale to %, for a run of another
    kind, e.g. a backbone's pretraining), that metric and None."""
    task = args.task
    cmd = [sys.executable, TRAIN, config, '--work-dir', work_dir]
    if options:
        cmd += ['--cfg-options'] + list(options)
    os.makedirs(work_dir, exist_ok=True)
    log_path = osp.join(work_dir, 'quickstart_train.log')
    before = timestamp_dirs(work_dir)
    env = dict(run_env(task), PYTHONUNBUFFERED='1')
    tail = deque(maxlen=40)
    with open(log_path, 'w') as log:
        log.write('$ ' + ' '.join(cmd) + '\n')
        log.flush()
        proc = subprocess.Popen(
            cmd,
            cwd=os.getcwd(),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1)
        for line in proc.stdout:
            log.write(line)
            tail.append(line.rstrip('\n'))
            if show_line(line, args.verbose, max_epochs, task.by_iter):
                text = line.rstrip('\n')
                if not args.verbose:
                    text = _LOG_PREFIX.sub('', text)
                print(f'    {name:>8} | {text}', flush=True)
        code = proc.wait()
    if code != 0:
        raise RunFailed(
            f'run "{name}" failed with exit code {code}.\n'
            f'Command: {" ".join(cmd)}\nFull log: {log_path}\n'
            'Last lines of its log:\n' + '\n'.join(tail))
    if metric is not None:
        return read_top1(work_dir, before, *metric), None
    extra = read_top1(work_dir, before, task.extra_metric,
                      task.scale) if task.extra_metric else None
    return read_top1(work_dir, before, task.metric, task.scale), extra


def run_env(task) -> dict:
    """The environment of the runs: this one, plus the task's ``env`` for
    the variables it does not set."""
    env = dict(os.environ)
    for key, value in task.env.items():
        env.setdefault(key, value)
    return env


def config_epochs(config: str, args) -> int:
    """The run's length in epochs (iterations for an iteration loop)."""
    if args.epochs is not None:
        return args.epochs
    if args.iters is not None:
        return args.iters
    from mmengine.config import Config
    train_cfg = Config.fromfile(config).train_cfg
    return int(train_cfg.get('max_epochs') or train_cfg.get('max_iters'))
