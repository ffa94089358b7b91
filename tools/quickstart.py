# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Quick start: logit distillation on real data in a few minutes on a CPU.

Trains, each through ``tools/train.py`` with a config of
``configs/quickstart/``, on the handwritten digits that ship inside
scikit-learn (no download):

1. the teacher alone (cached: skipped when ``<work-dir>/teacher/teacher.pth``
   exists and was made from the same teacher config),
2. the student alone (the baseline),
3. the student distilled from the teacher with each method,

then prints a table of test top-1 accuracy per run, writes it to
``<work-dir>/results.md`` and draws a bar plot to
``<work-dir>/quickstart.png``.

    python tools/quickstart.py                      # everything (~2-3 min)
    python tools/quickstart.py --methods kd,dkd     # some methods only
    python tools/quickstart.py --epochs 1           # smoke test
    python tools/quickstart.py --task det           # detection (~13 min)
    python tools/quickstart.py --teacher-cache      # students from a cache

``--teacher-cache`` runs the teacher once over the run's epochs with
``tools/cache_teacher_logits.py`` (fp32, ``<work-dir>/teacher_cache_*``,
reused while the teacher, epochs and seed are the same) and trains every
distilled student from it (``model.teacher_cache``, work dirs
``<method>-cached``): the same table (identical accuracies: an fp32 cache
is bit-identical to the teacher in the loop), and the time saved against
the teacher-in-the-loop runs of the same work dir, epochs and seed, when
those ran before (``timings.json``).

``--task det`` does the same for detection: a COCO-format set of the same
digits pasted on 128x128 canvases (written once to ``<work-dir>/data``),
Faster R-CNN FPN teacher and student of ``configs/quickstart_det/``, and the
student distilled with KD, DKD, LDRLD and SD-DKD (GL-DKD) on its RoIs; the
table gives ``CocoMetric``'s bbox AP and AP50 on the val images.

Exits non-zero, showing the failing command and the end of its log, when a
run fails.
"""
import argparse
import hashlib
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time
from collections import OrderedDict, deque
from typing import Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG_DIR = osp.join(ROOT, 'configs', 'quickstart')
TRAIN = osp.join(ROOT, 'tools', 'train.py')

# name -> (config file, label in the table, label in the plot)
TEACHER = ('teacher', 'teacher.py', 'teacher alone (ResNet8x4)', 'teacher')
STUDENT = ('student', 'student.py', 'student alone (narrow ResNet8)',
           'student')
DET_TEACHER = ('teacher', 'teacher.py', 'teacher alone (Faster R-CNN R-18 FPN)',
               'teacher')
DET_STUDENT = ('student', 'student.py',
               'student alone (narrow Faster R-CNN FPN)', 'student')
DET_METHODS = OrderedDict([
    ('kd', ('kd.py', 'KD', 'KD')),
    ('dkd', ('dkd.py', 'DKD', 'DKD')),
    ('ldrld', ('ldrld.py', 'LDRLD', 'LDRLD')),
    ('sdd', ('sdd.py', 'SD-DKD (GL-DKD, 5 RoI views)', 'SD-DKD')),
])
METHODS = OrderedDict([
    ('kd', ('kd.py', 'KD', 'KD')),
    ('dkd', ('dkd.py', 'DKD', 'DKD')),
    ('ldrld', ('ldrld.py', 'LDRLD', 'LDRLD')),
    ('sdd', ('sdd.py', 'SDD (scales 1, 2) over KD', 'SDD')),
    ('ls', ('ls.py', 'KD + logit standardization (LS)', 'LS')),
    ('rank', ('rank.py', 'logit rank alignment', 'Rank')),
])

class Task:
    """What differs between the classification and detection quick starts:
    configs, runs, the metric read from the runner's scalars (``scale``
    turns it into %), and how the schedule is shortened."""

    def __init__(self, name, config_dir, teacher, student, methods, metric,
                 metric_label, scale=1., extra_metric=None, by_iter=False):
        self.name = name
        self.config_dir = osp.join(ROOT, 'configs', config_dir)
        self.teacher, self.student, self.methods = teacher, student, methods
        self.metric, self.metric_label, self.scale = metric, metric_label, scale
        self.extra_metric = extra_metric
        self.by_iter = by_iter


TASKS = {
    'cls': Task('cls', 'quickstart', TEACHER, STUDENT, METHODS,
                'accuracy/top1', 'test top-1 (%)'),
    'det': Task('det', 'quickstart_det', DET_TEACHER, DET_STUDENT,
                DET_METHODS, 'coco/bbox_mAP', 'val bbox AP (%)', scale=100.,
                extra_metric='coco/bbox_mAP_50', by_iter=True),
}
TASK = TASKS['cls']
# The teacher's cache key ignores config entries that cannot change it.
_NOT_TEACHER_KEYS = ('work_dir', 'launcher')
_TIMESTAMP = re.compile(r'^\d{8}_\d{6}$')
_LOG_PREFIX = re.compile(r'^\d\d/\d\d \d\d:\d\d:\d\d - mmengine - \w+ - ')
_TRAIN_EPOCH = re.compile(r'(?:Epoch|Iter)\(train\)\s*\[\s*(\d+)')


class RunFailed(RuntimeError):
    pass


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Train a teacher, a student and distilled students on '
        "scikit-learn's digits and compare their test accuracy.")
    parser.add_argument(
        '--task',
        choices=sorted(TASKS),
        default='cls',
        help='cls: classification on the digits (default); det: detection '
        'on the digits pasted on canvases')
    parser.add_argument(
        '--work-dir',
        help='where runs, results.md and quickstart.png go (default: '
        'work_dirs/quickstart, or work_dirs/quickstart_det for --task det)')
    parser.add_argument(
        '--iters',
        type=int,
        help='--task det: override the number of iterations of every run')
    parser.add_argument(
        '--methods',
        help='comma-separated distillation methods to run (default: all '
        f'of the task: {",".join(METHODS)} / {",".join(DET_METHODS)})')
    parser.add_argument(
        '--epochs',
        type=int,
        help='override the number of epochs of every run (e.g. 1 for a '
        'smoke test); the teacher cache is per epoch count')
    parser.add_argument(
        '--seed',
        type=int,
        help='override the seed of every run (the configs use 0); the '
        'teacher cache is per seed')
    parser.add_argument(
        '--retrain-teacher',
        action='store_true',
        help='train the teacher even when a cached one is valid')
    parser.add_argument(
        '--teacher-cache',
        action='store_true',
        help='cls: cache the teacher logits once '
        '(tools/cache_teacher_logits.py) and train the distilled students '
        'from the cache; reports the time saved')
    parser.add_argument(
        '--verbose',
        action='store_true',
        help="stream the runners' whole logs, not only their epoch lines")
    args = parser.parse_args(argv)
    global TASK
    TASK = TASKS[args.task]
    known = TASK.methods
    methods = [
        m.strip().lower() for m in (args.methods or ','.join(known)).split(',')
        if m.strip()
    ]
    unknown = [m for m in methods if m not in known]
    if unknown:
        parser.error(f'unknown method(s) {", ".join(unknown)}; choose from '
                     f'{", ".join(known)}')
    args.methods = list(OrderedDict.fromkeys(methods))
    if args.epochs is not None and args.epochs < 1:
        parser.error('--epochs must be >= 1')
    if args.iters is not None and (args.iters < 1 or not TASK.by_iter):
        parser.error('--iters (>= 1) is for --task det')
    if args.epochs is not None and TASK.by_iter:
        parser.error('--task det counts iterations: use --iters')
    if args.teacher_cache and TASK.name != 'cls':
        parser.error('--teacher-cache is for classification (--task cls): '
                     "a detector's teacher logits depend on the RoIs the "
                     'student samples at each step')
    args.work_dir = osp.abspath(args.work_dir or
                                f'work_dirs/{osp.basename(TASK.config_dir)}')
    return args


# ----------------------------------------------------------------- helpers
def common_options(args):
    """``--cfg-options`` shared by every run."""
    opts = []
    if args.epochs is not None:
        opts.append(f'train_cfg.max_epochs={args.epochs}')
    if args.iters is not None:
        opts += [
            f'train_cfg.max_iters={args.iters}',
            f'train_cfg.val_interval={args.iters}',
            f'default_hooks.checkpoint.interval={args.iters}'
        ]
    if TASK.name == 'det':
        data = osp.join(args.work_dir, 'data') + '/'
        ann = data + 'annotations/instances_val2017.json'
        opts += [f'{loader}.dataset.data_root={data}'
                 for loader in ('train_dataloader', 'val_dataloader',
                                'test_dataloader')]
        opts += [f'{ev}.ann_file={ann}'
                 for ev in ('val_evaluator', 'test_evaluator')]
    if args.seed is not None:
        opts.append(f'randomness.seed={args.seed}')
    return opts


def teacher_cache_key(args) -> str:
    """Hash of the teacher's fully resolved config (bases included) with the
    overrides of this invocation."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(TASK.config_dir, TASK.teacher[1]))
    overrides = dict(opt.split('=', 1) for opt in common_options(args))
    content = {
        k: v
        for k, v in cfg.to_dict().items() if k not in _NOT_TEACHER_KEYS
    }
    blob = json.dumps([content, overrides], sort_keys=True, default=repr)
    return hashlib.sha256(blob.encode()).hexdigest()


def cached_teacher(teacher_dir: str, key: str):
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


def timestamp_dirs(work_dir: str) -> set:
    if not osp.isdir(work_dir):
        return set()
    return {
        d
        for d in os.listdir(work_dir)
        if _TIMESTAMP.match(d) and osp.isdir(osp.join(work_dir, d))
    }


def read_top1(work_dir: str, before: set, key: Optional[str] = None) -> float:
    """Last value of the task's metric (``accuracy/top1``, or ``key``) of the
    run that made a new timestamp folder in ``work_dir``
    (``<timestamp>/vis_data/scalars.json``), in %."""
    key = key or TASK.metric
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
                    top1 = float(record[key]) * TASK.scale
    if top1 is None:
        raise RunFailed(f'no {key} in {path}')
    return top1


def show_line(line: str, verbose: bool, max_epochs: int) -> bool:
    """Which runner log lines are shown (all are kept in the log file)."""
    if verbose:
        return True
    if 'Epoch(val)' in line:
        return True
    m = _TRAIN_EPOCH.search(line)
    if m and TASK.by_iter:
        return True  # a line every logger interval
    if m:
        epoch = int(m.group(1))
        step = max(1, max_epochs // 4)
        return epoch == 1 or epoch % step == 0 or epoch == max_epochs
    return False


def train(name: str, config: str, work_dir: str, options, args,
          max_epochs: int) -> float:
    """Run ``tools/train.py`` in a subprocess; return its test top-1."""
    cmd = [sys.executable, TRAIN, config, '--work-dir', work_dir]
    if options:
        cmd += ['--cfg-options'] + list(options)
    os.makedirs(work_dir, exist_ok=True)
    log_path = osp.join(work_dir, 'quickstart_train.log')
    before = timestamp_dirs(work_dir)
    env = dict(os.environ, PYTHONUNBUFFERED='1')
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
            if show_line(line, args.verbose, max_epochs):
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
    extra = read_top1(work_dir, before,
                      TASK.extra_metric) if TASK.extra_metric else None
    return read_top1(work_dir, before), extra


def config_epochs(config: str, args) -> int:
    """The run's length in epochs (iterations for an iteration loop)."""
    if args.epochs is not None:
        return args.epochs
    if args.iters is not None:
        return args.iters
    from mmengine.config import Config
    train_cfg = Config.fromfile(config).train_cfg
    return int(train_cfg.get('max_epochs') or train_cfg.get('max_iters'))


def save_teacher(teacher_dir: str, key: str, top1: float, seconds: float,
                 ap50: Optional[float] = None) -> str:
    """Copy the teacher's final weights to ``teacher.pth`` (weights only,
    loadable with ``weights_only=True``) and record the cache key."""
    import torch

    from mmlogitkd.utils import load_checkpoint_file
    with open(osp.join(teacher_dir, 'last_checkpoint')) as f:
        last = f.read().strip()
    if not osp.isabs(last):
        last = osp.join(teacher_dir, osp.basename(last))
    ckpt = load_checkpoint_file(last)
    state_dict = ckpt['state_dict']
    ckpt_path = osp.join(teacher_dir, 'teacher.pth')
    tmp = ckpt_path + '.tmp'
    torch.save(
        dict(
            state_dict=state_dict,
            meta=dict(config=osp.relpath(
                osp.join(TASK.config_dir, TASK.teacher[1]), ROOT),
                      top1=top1)),
        tmp)
    os.replace(tmp, ckpt_path)
    with open(osp.join(teacher_dir, 'teacher.json'), 'w') as f:
        json.dump(
            dict(key=key, top1=top1, ap50=ap50, seconds=seconds,
                 source=last),
            f,
            indent=2)
    return ckpt_path


def make_teacher_cache(args, teacher_ckpt: str, teacher_key: str):
    """Run ``tools/cache_teacher_logits.py`` once (fp32, the run's
    epochs; with SDD's cells when SDD is among the methods) into a folder
    keyed by the teacher and the options; returns ``(folder, seconds)``
    (0 when it was there already)."""
    method = 'sdd' if 'sdd' in args.methods else args.methods[0]
    config = osp.join(TASK.config_dir, TASK.methods[method][0])
    with open(teacher_ckpt, 'rb') as f:  # a retrained teacher: a new cache
        weights = hashlib.sha256(f.read()).hexdigest()
    key = hashlib.sha256(
        f'{teacher_key}|{weights}|{method}|fp32'.encode()).hexdigest()
    out = osp.join(args.work_dir, f'teacher_cache_{key[:12]}')
    meta = osp.join(out, 'meta.json')
    if osp.isfile(meta):
        with open(meta) as f:
            if json.load(f).get('complete'):
                return out, 0.
    cmd = [
        sys.executable,
        osp.join(ROOT, 'tools', 'cache_teacher_logits.py'), config,
        '--epochs',
        str(config_epochs(config, args)), '--dtype', 'fp32', '--out', out,
        '--no-progress', '--cfg-options', f'model.teacher_ckpt={teacher_ckpt}'
    ] + common_options(args)
    tic = time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RunFailed('making the teacher cache failed.\nCommand: '
                        f'{" ".join(cmd)}\n{proc.stdout[-2000:]}'
                        f'{proc.stderr[-3000:]}')
    return out, time.time() - tic


def record_timings(work_dir: str, mode: str, key: str, rows) -> dict:
    """Add this invocation's per-run seconds to ``timings.json`` (by mode,
    teacher key) and return the file's content."""
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


def time_saved(timings: dict, key: str, names, cache_seconds: float) -> str:
    """The line on the time a teacher cache saved, from the two modes'
    recorded run times."""
    cached = timings.get('cached', {}).get(key, {})
    online = timings.get('online', {}).get(key, {})
    cached_total = sum(cached[n] for n in names)
    if not all(n in online for n in names):
        return (f'Distilled students from the teacher cache: '
                f'{cached_total:.0f} s, plus {cache_seconds:.0f} s to make '
                'the cache. Run the same command without --teacher-cache to '
                'measure the time saved.')
    online_total = sum(online[n] for n in names)
    saved = online_total - cached_total - cache_seconds
    return (f'Time saved by the teacher cache: {saved:.0f} s '
            f'({100 * saved / online_total:.0f}%): {len(names)} distilled '
            f'students took {online_total:.0f} s with the teacher in the '
            f'loop, {cached_total:.0f} s from the cache plus '
            f'{cache_seconds:.0f} s to make it.')


# ----------------------------------------------------------------- report
def markdown_table(rows, student_top1) -> str:
    extra = ' AP50 (%) |' if TASK.extra_metric else ''
    lines = [
        f'| run | method | {TASK.metric_label} |{extra} vs student alone '
        '| time (s) |',
        '|---|---|---:|' + ('---:|' if extra else '') + '---:|---:|',
    ]
    for row in rows:
        if row['name'] == 'teacher' or student_top1 is None:
            delta = ''
        else:
            delta = f'{row["top1"] - student_top1:+.2f}'
        secs = f'{row["seconds"]:.1f}'
        if row.get('cached'):
            secs = f'cached ({row["seconds"]:.1f})'
        ap50 = f' {row["ap50"]:.2f} |' if extra else ''
        lines.append(f'| {row["name"]} | {row["label"]} | '
                     f'{row["top1"]:.2f} |{ap50} {delta} | {secs} |')
    return '\n'.join(lines)


def plot(rows, student_top1, path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    names = [r['short'] for r in rows]
    values = [r['top1'] for r in rows]
    colors = [
        '#7f7f7f' if r['name'] == 'teacher' else
        '#d62728' if r['name'] == 'student' else '#1f77b4' for r in rows
    ]
    fig, ax = plt.subplots(figsize=(1.1 * len(rows) + 2.5, 4.2))
    bars = ax.bar(names, values, color=colors)
    for bar, value in zip(bars, values):
        ax.text(
            bar.get_x() + bar.get_width() / 2,
            value + 0.3,
            f'{value:.1f}',
            ha='center',
            va='bottom',
            fontsize=9)
    if student_top1 is not None:
        ax.axhline(
            student_top1, color='#d62728', linestyle='--', linewidth=1)
        ax.text(
            len(rows) - 0.5,
            student_top1,
            ' student\n alone',
            color='#d62728',
            va='center',
            ha='left',
            fontsize=8)
    ax.set_xlim(-0.6, len(rows) + 0.3)
    ax.set_ylim(max(0., min(values) - 8.), max(values) + 4.)
    ax.set_ylabel(TASK.metric_label)
    ax.set_title("Logit distillation on scikit-learn's digits: "
                 + ('Faster R-CNN FPN, 1,000 training canvases'
                    if TASK.name == 'det' else
                    '200 training images, 898 test images'))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_results(path, table, argv, total_seconds):
    command = ' '.join(['python tools/quickstart.py'] + list(argv))
    if TASK.name == 'det':
        data = ("Data: scikit-learn's handwritten digits pasted, 2-6 per "
                'image at 16-48 px, on 128x128 canvases (COCO format): 1,000 '
                'training and 200 val images from disjoint halves of the '
                'digits. Teacher and student: Faster R-CNN FPN of '
                '`configs/quickstart_det/models/`. Every run goes through '
                '`tools/train.py` with `configs/quickstart_det/<run>.py`.')
    else:
        data = ("Data: scikit-learn's handwritten digits (8x8 resized to "
                '16x16), 20 training images per class, 898 test images. '
                'Teacher: ResNet8x4 (1.2 M parameters); student: ResNet8 at '
                '3/16 width (3 k parameters). Every run goes through '
                '`tools/train.py` with `configs/quickstart/<run>.py`.')
    text = [
        '# mmlogitkd quick start: results', '', data, '', table, '',
        f'Total time: {total_seconds:.0f} s. Command: `{command}`.', ''
    ]
    with open(path, 'w') as f:
        f.write('\n'.join(text))


# ------------------------------------------------------------------- main
def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.time()
    os.makedirs(args.work_dir, exist_ok=True)
    runs = [TASK.teacher, TASK.student] + [
        (m, ) + TASK.methods[m] for m in args.methods
    ]
    total = len(runs)
    print(f'mmlogitkd quick start: {total} runs into {args.work_dir}',
          flush=True)
    rows = []
    teacher_dir = osp.join(args.work_dir, 'teacher')
    teacher_ckpt = osp.join(teacher_dir, 'teacher.pth')
    cache_dir, cache_seconds = None, 0.
    if TASK.name == 'det':
        from mmlogitkd.datasets.digits_coco import make_digits_coco
        print('making the COCO-format digits (once) ...', flush=True)
        make_digits_coco(osp.join(args.work_dir, 'data'))
    try:
        for i, (name, config_file, label, short) in enumerate(runs, 1):
            config = osp.join(TASK.config_dir, config_file)
            work_dir = osp.join(args.work_dir, name)
            tic = time.time()
            if name == 'teacher':
                key = teacher_cache_key(args)
                meta = None if args.retrain_teacher else cached_teacher(
                    teacher_dir, key)
                if meta is not None:
                    rows.append(
                        dict(
                            name=name,
                            label=label,
                            short=short,
                            top1=float(meta['top1']),
                            ap50=meta.get('ap50'),
                            seconds=float(meta.get('seconds', 0.)),
                            cached=True))
                    print(
                        f'[{i}/{total}] teacher: cached {teacher_ckpt} '
                        f'({TASK.metric_label} {meta["top1"]:.2f})',
                        flush=True)
                    continue
            print(
                f'[{i}/{total}] {name}: training {label} '
                f'(configs/{osp.basename(TASK.config_dir)}/{config_file}) ...',
                flush=True)
            options = common_options(args)
            if name not in ('teacher', 'student'):
                options.append(f'model.teacher_ckpt={teacher_ckpt}')
                if args.teacher_cache:
                    if cache_dir is None:
                        print(f'[{i}/{total}] caching the teacher logits '
                              '(tools/cache_teacher_logits.py) ...',
                              flush=True)
                        cache_dir, cache_seconds = make_teacher_cache(
                            args, teacher_ckpt, teacher_cache_key(args))
                        print(f'    teacher cache {cache_dir} '
                              f'({cache_seconds:.1f} s)', flush=True)
                        tic = time.time()
                    options.append(f'model.teacher_cache={cache_dir}')
                    work_dir += '-cached'
            top1, ap50 = train(name, config, work_dir, options, args,
                               config_epochs(config, args))
            seconds = time.time() - tic
            if name == 'teacher':
                save_teacher(teacher_dir, key, top1, seconds, ap50)
            rows.append(
                dict(
                    name=name,
                    label=label,
                    short=short,
                    top1=top1,
                    ap50=ap50,
                    seconds=seconds))
            print(
                f'[{i}/{total}] {name}: {TASK.metric_label} {top1:.2f} in '
                f'{seconds:.1f} s (elapsed {time.time() - start:.0f} s)',
                flush=True)
    except RunFailed as e:
        print(f'\nERROR: {e}', file=sys.stderr, flush=True)
        return 1

    student_top1 = next(
        (r['top1'] for r in rows if r['name'] == 'student'), None)
    table = markdown_table(rows, student_top1)
    saved = None
    if TASK.name == 'cls':
        key = teacher_cache_key(args)
        timings = record_timings(args.work_dir, 'cached' if
                                 args.teacher_cache else 'online', key, rows)
        if args.teacher_cache:
            saved = time_saved(timings, key, args.methods, cache_seconds)
            table += '\n\n' + saved
    total_seconds = time.time() - start
    results = osp.join(args.work_dir, 'results.md')
    png = osp.join(args.work_dir, 'quickstart.png')
    write_results(results, table, sys.argv[1:] if argv is None else argv,
                  total_seconds)
    plot(rows, student_top1, png)
    print('\n' + table + '\n')
    print(f'Total time {total_seconds:.0f} s. Table: {results}; plot: {png}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
