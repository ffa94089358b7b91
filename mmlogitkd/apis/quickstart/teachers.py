# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The quick start's teacher: trained once and cached with the key of its
config, and, with ``--teacher-cache``, its logits cached once per seed
(``tools/cache_teacher_logits.py``) with the time that saved."""
import hashlib
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import time
from typing import Optional

from .runs import (
    ROOT,
    RunFailed,
    common_options,
    config_epochs,
    content_digest,
    final_checkpoint,
    resolved_config,
    run_env,
)

__all__ = [
    'teacher_cache_key', 'cached_teacher', 'save_teacher',
    'teacher_cache_dir', 'teacher_cache_complete', 'make_teacher_cache',
    'record_timings', 'time_saved'
]


def teacher_cache_key(args) -> str:
    """Hash of the teacher's fully resolved config (bases included) with the
    overrides of this invocation."""
    task = args.task
    overrides = dict(
        opt.split('=', 1) for opt in common_options(args) +
        task.run_options(args, task.teacher[0]))
    return content_digest(
        [resolved_config(osp.join(task.config_dir, task.teacher[1])),
         overrides])


def cached_teacher(teacher_dir: str, key: str) -> Optional[dict]:
    """The cached teacher's record, or None when missing/stale/unreadable."""
    meta_path = osp.join(teacher_dir, 'teacher.json')
    ckpt_path = osp.join(teacher_dir, 'teacher.pth')
    if not (osp.isfile(meta_path) and osp.isfile(ckpt_path)):
        return None
    try:
        with open(meta_path) as f:
            meta = json.load(f)
        if meta.get('key') != key:
            return None
        import torch
        ckpt = torch.load(ckpt_path, map_location='cpu', weights_only=True)
        if not isinstance(ckpt, dict) or not ckpt.get('state_dict'):
            return None
        float(meta['top1'])
    except Exception:  # corrupt cache: train again
        return None
    return meta


def save_teacher(teacher_dir: str, config: str, key: str, top1: float,
                 seconds: float, ap50: Optional[float] = None) -> str:
    """Copy the teacher's final weights to ``teacher.pth`` (weights only,
    loadable with ``weights_only=True``) and record the cache key."""
    import torch

    from mmlogitkd.utils import load_checkpoint_file
    last = final_checkpoint(teacher_dir)
    ckpt = load_checkpoint_file(last)
    state_dict = ckpt['state_dict']
    ckpt_path = osp.join(teacher_dir, 'teacher.pth')
    tmp = ckpt_path + '.tmp'
    torch.save(
        dict(
            state_dict=state_dict,
            meta=dict(config=osp.relpath(config, ROOT), top1=top1)), tmp)
    os.replace(tmp, ckpt_path)
    with open(osp.join(teacher_dir, 'teacher.json'), 'w') as f:
        json.dump(
            dict(key=key, top1=top1, ap50=ap50, seconds=seconds,
                 source=last),
            f,
            indent=2)
    return ckpt_path


def teacher_cache_dir(args, teacher_key: str, teacher_digest: str,
                      seed: int) -> str:
    """The folder of the teacher's logits for the students of ``seed``
    (``<work-dir>/teacher_cache_<key>``), keyed by the teacher (config and
    weights), the method whose config makes it (SDD's, for its cells, when
    SDD is among the methods) and the seed (the cached epochs replay the
    seed's augmentation)."""
    method = cache_method(args)
    key = hashlib.sha256(
        f'{teacher_key}|{teacher_digest}|{method}|fp32|seed={seed}'.encode()
    ).hexdigest()
    return osp.join(args.work_dir, f'teacher_cache_{key[:12]}')


def cache_method(args) -> str:
    """The method whose config makes the teacher cache."""
    return 'sdd' if 'sdd' in args.methods else args.methods[0]


def teacher_cache_complete(out: str) -> bool:
    """Whether ``out`` holds a finished cache of this mmlogitkd's format; a
    cache of an older format (left by an earlier version of this script) is
    removed, so that it is made again rather than refused at training."""
    from mmlogitkd.distillers.teacher_cache import CACHE_VERSION
    try:
        with open(osp.join(out, 'meta.json')) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return False
    if meta.get('version') != CACHE_VERSION:
        shutil.rmtree(out)
        return False
    return bool(meta.get('complete'))


def make_teacher_cache(args, teacher_ckpt: str, out: str, seed: int) -> float:
    """Run ``tools/cache_teacher_logits.py`` once (fp32, the run's epochs,
    the students' seed) into ``out`` (see ``teacher_cache_dir``); returns
    the seconds it took (0 when it was there already)."""
    task = args.task
    config = osp.join(task.config_dir, task.methods[cache_method(args)][0])
    if teacher_cache_complete(out):
        return 0.
    cmd = [
        sys.executable,
        osp.join(ROOT, 'tools', 'cache_teacher_logits.py'), config,
        '--epochs',
        str(config_epochs(config, args)), '--dtype', 'fp32', '--out', out,
        '--no-progress', '--cfg-options', f'model.teacher_ckpt={teacher_ckpt}'
    ] + common_options(args) + [f'randomness.seed={seed}']
    tic = time.time()
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env=run_env(task))
    if proc.returncode != 0:
        raise RunFailed('making the teacher cache failed.\nCommand: '
                        f'{" ".join(cmd)}\n{proc.stdout[-2000:]}'
                        f'{proc.stderr[-3000:]}')
    return time.time() - tic


def record_timings(work_dir: str, mode: str, key: str, rows) -> dict:
    """Add this invocation's per-run seconds to ``timings.json`` (by mode,
    teacher key and seed: ``key``) and return the file's content."""
    path = osp.join(work_dir, 'timings.json')
    timings = {}
    if osp.isfile(path):
        try:
            with open(path) as f:
                timings = json.load(f)
        except ValueError:
            timings = {}
    runs = timings.setdefault(mode, {}).setdefault(key, {})
    runs.update({
        r['name']: r['seconds']
        for r in rows if r['name'] not in ('teacher', 'student')
    })
    from mmlogitkd.utils.checkpoint import atomic_write_bytes
    atomic_write_bytes(json.dumps(timings, indent=1).encode(), path)
    return timings


def time_saved(timings: dict, keys, names, cache_seconds: float) -> str:
    """The line on the time a teacher cache saved, from the two modes'
    recorded run times of the runs ``names`` under ``keys`` (one key, or
    one per seed)."""
    keys = [keys] if isinstance(keys, str) else list(keys)
    cached = [timings.get('cached', {}).get(k, {}) for k in keys]
    online = [timings.get('online', {}).get(k, {}) for k in keys]
    cached_total = sum(c[n] for c in cached for n in names)
    if not all(n in o for o in online for n in names):
        return (f'Distilled students from the teacher cache: '
                f'{cached_total:.0f} s, plus {cache_seconds:.0f} s to make '
                'the cache. Run the same command without --teacher-cache to '
                'measure the time saved.')
    online_total = sum(o[n] for o in online for n in names)
    saved = online_total - cached_total - cache_seconds
    return (f'Time saved by the teacher cache: {saved:.0f} s '
            f'({100 * saved / online_total:.0f}%): '
            f'{len(names) * len(keys)} distilled '
            f'students took {online_total:.0f} s with the teacher in the '
            f'loop, {cached_total:.0f} s from the cache plus '
            f'{cache_seconds:.0f} s to make it.')
