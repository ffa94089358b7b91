# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Quick start: logit distillation on real data in a few minutes on a CPU.

Trains, each through ``tools/train.py`` with a config of
``configs/quickstart/``, on the handwritten digits that ship inside
scikit-learn (no download):

1. the teacher alone (cached: skipped when ``<work-dir>/teacher/teacher.pth``
   exists and was made from the same teacher config),
2. the student alone (the baseline),
3. the student distilled from the teacher with each method,

each run with one intra-op thread unless ``OMP_NUM_THREADS`` is set (also
for re-id: small networks, whose two threads stall each other on a busy
machine; detection keeps torch's default),

then prints a table of test top-1 accuracy per run, writes it to
``<work-dir>/results.md``, its numbers to ``<work-dir>/results.json`` and
draws a bar plot to ``<work-dir>/quickstart.png``.

    python tools/quickstart.py                      # everything (~4 min)
    python tools/quickstart.py --methods kd,dkd     # some methods only
    python tools/quickstart.py --epochs 1           # smoke test
    python tools/quickstart.py --seeds 0,1,2,3,4    # mean and SE of 5 seeds
    python tools/quickstart.py --task det           # detection (~23 min)
    python tools/quickstart.py --task reid          # re-identification (~9 min)
    python tools/quickstart.py --teacher-cache      # students from a cache

``--seeds`` repeats every student run (the student alone and each method)
with each seed (``randomness.seed``, in ``<work-dir>/seed_<seed>/<run>``);
the teacher is trained once, with its config's seed 0, and shared by all.
A finished student run (``quickstart_run.json`` in its folder) is reused
while its config, options, seed and teacher weights are the same, so adding
a seed trains only the new seed's runs. With several seeds the table and
the plot give each run's mean and standard error (SE: the sample standard
deviation over sqrt(n)) and each method's gain over the student alone,
paired by seed (the mean and SE of the per-seed differences).
``results.json``::

    {"task": "cls", "metric": "top-1", "seeds": [0, 1],
     "runs": {"teacher": {"per_seed": {"0": v}},
              "student": {"per_seed": {"0": v0, "1": v1},
                          "mean": m, "se": s},
              "kd": {"per_seed": {...}, "mean": m, "se": s,
                     "gain": {"mean": g, "se": gs}}, ...}}

(values in %; ``se`` is null for one seed; see ``seed_results`` in
``mmlogitkd/apis/quickstart/report.py``).

``--teacher-cache`` runs the teacher once over the run's epochs with
``tools/cache_teacher_logits.py`` (fp32, ``<work-dir>/teacher_cache_*``,
reused while the teacher, epochs and seed are the same) and trains every
distilled student from it (``model.teacher_cache``, work dirs
``<method>-cached``): the same table (identical accuracies: an fp32 cache
is bit-identical to the teacher in the loop), and the time saved against
the teacher-in-the-loop runs of the same work dir, epochs and seed, when
those ran before (``timings.json``).

``--task det`` does the same for detection, in the papers' regime: a
COCO-format set of the same digits pasted on 128x128 canvases (written once
to ``<work-dir>/data``); both detectors' backbones pretrained once on the
training digits' classification (``configs/quickstart_det/pretrain/``, seed
0, cached like the teacher in ``<work-dir>/pretrain/``, each file named by
its content, and loaded by the backbones' ``init_cfg``); the Faster R-CNN
FPN teacher and student of ``configs/quickstart_det/``, and the student
distilled with KD, DKD, LDRLD and SD-DKD (GL-DKD) on its RoIs; the table
gives ``CocoMetric``'s bbox AP and AP50 on the val images, the time of the
stages before the runs, and, per seed, the share of the student's RoIs the
teacher classifies right (``tools/analysis/det_teacher_roi_accuracy.py`` on
the student alone's RoIs). ``--iters N`` (N > 100, the students' warm-up)
shortens every run.

``--task reid`` does the same for person re-identification, the digits
written once as a Market-1501 folder (``<work-dir>/data``: each identity
one handwritten sample seen by several cameras, each with its own imaging
style; disjoint training and test identities; distractors and junk in the
gallery), torchreid's ResNet-18 at half width (teacher) and at a quarter
width (student) of ``configs/quickstart_reid/``, and the classification
methods on their identity logits (~9 min in all on 2 CPU cores, a later
seed 6-8 min); the table
gives ``ReIDMetric``'s mAP and rank-1 (query vs the gallery of other
cameras); ``--teacher-cache`` works as for classification.

Exits non-zero, showing the failing command and the end of its log, when a
run fails.

This file is the command line and the order of the runs; the tasks, the
runs, the cached teacher and the report are ``mmlogitkd/apis/quickstart/``.
"""
import argparse
import os
import os.path as osp
import sys
import time
import warnings
from collections import OrderedDict

# mmengine imports setuptools' pkg_resources, whose deprecation warning
# would print again at every config this tool reads (mmengine's
# custom_imports re-execute modules); the runs' own logs keep theirs
warnings.filterwarnings(
    'ignore', message='pkg_resources is deprecated', category=UserWarning)

from mmlogitkd.apis.quickstart.report import (  # noqa: E402
    markdown_table,
    plot,
    seed_results,
    write_json,
    write_results,
)
from mmlogitkd.apis.quickstart.runs import (  # noqa: E402
    TEACHER_SEED,
    RunFailed,
    common_options,
    config_epochs,
    file_digest,
    finished_run,
    run_key,
    save_run,
    train,
)
from mmlogitkd.apis.quickstart.tasks import (  # noqa: E402
    DET_METHODS,
    METHODS,
    TASKS,
)
from mmlogitkd.apis.quickstart.teachers import (  # noqa: E402
    cached_teacher,
    make_teacher_cache,
    record_timings,
    save_teacher,
    teacher_cache_complete,
    teacher_cache_dir,
    teacher_cache_key,
    time_saved,
)


def parse_seeds(text: str) -> list:
    """``--seeds``: distinct integers in [0, 2**32) (numpy's seed range),
    comma-separated; sorted."""
    seeds = []
    for item in text.split(','):
        item = item.strip()
        if not item:
            raise argparse.ArgumentTypeError(
                f'empty seed in {text!r}: write distinct integers separated '
                'by commas, e.g. 0,1,2')
        try:
            seed = int(item)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f'{item!r} is not an integer seed') from None
        if not 0 <= seed < 2**32:
            raise argparse.ArgumentTypeError(
                f'seed {seed} is out of range: seeds are integers from 0 to '
                '2**32 - 1')
        if seed in seeds:
            raise argparse.ArgumentTypeError(
                f'seed {seed} is given twice in {text!r}')
        seeds.append(seed)
    return sorted(seeds)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Train a teacher, a student and distilled students on '
        "scikit-learn's digits and compare their test accuracy.")
    parser.add_argument(
        '--task',
        choices=sorted(TASKS),
        default='cls',
        help='cls: classification on the digits (default); det: detection '
        'on the digits pasted on canvases; reid: re-identification of '
        'handwritten samples across cameras')
    parser.add_argument(
        '--work-dir',
        help='where runs, results.md and quickstart.png go (default: '
        'work_dirs/quickstart, or work_dirs/quickstart_<task> for --task '
        'det / reid)')
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
        '--seeds',
        type=parse_seeds,
        default=[0],
        help='comma-separated seeds of the student runs (default: 0): the '
        'student alone and every method are trained once per seed, into '
        '<work-dir>/seed_<seed>/; the teacher is trained once, with seed 0. '
        'With several seeds the table gives mean +- SE and paired gains')
    parser.add_argument(
        '--retrain-teacher',
        action='store_true',
        help='train the teacher even when a cached one is valid')
    parser.add_argument(
        '--retrain-students',
        action='store_true',
        help='train the student runs again even when finished runs of the '
        'same config, options, seed and teacher are in the work dir')
    parser.add_argument(
        '--teacher-cache',
        action='store_true',
        help='cls, reid: cache the teacher logits once '
        '(tools/cache_teacher_logits.py) and train the distilled students '
        'from the cache; reports the time saved')
    parser.add_argument(
        '--verbose',
        action='store_true',
        help="stream the runners' whole logs, not only their epoch lines")
    args = parser.parse_args(argv)
    args.task = task = TASKS[args.task]
    known = task.methods
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
    if args.iters is not None and (args.iters < 1 or not task.by_iter):
        parser.error('--iters (>= 1) is for the tasks that count '
                     'iterations: ' +
                     ', '.join(f'--task {t.name}' for t in TASKS.values()
                               if t.by_iter))
    if args.epochs is not None and task.by_iter:
        parser.error(f'--task {task.name} counts iterations: use --iters')
    if args.teacher_cache and task.no_teacher_cache:
        parser.error(f'--teacher-cache is not for --task {task.name}: '
                     f'{task.no_teacher_cache}')
    args.work_dir = osp.abspath(args.work_dir or
                                f'work_dirs/{osp.basename(task.config_dir)}')
    # the stages before the runs (name -> seconds, cached, ...), which the
    # task's report may give
    args.stages = OrderedDict()
    return args


def _elapsed(start: float) -> str:
    return f'elapsed {time.time() - start:.0f} s'


def run_teacher(args, key: str, total: int, start: float) -> dict:
    """Train the teacher (its config's seed, 0) or take the cached one;
    its row of the table."""
    task = args.task
    name, config_file, label, short = task.teacher
    config = osp.join(task.config_dir, config_file)
    teacher_dir = osp.join(args.work_dir, 'teacher')
    row = dict(name=name, label=label, short=short, seed=TEACHER_SEED)
    meta = None if args.retrain_teacher else cached_teacher(teacher_dir, key)
    if meta is not None:
        print(
            f'[1/{total}] teacher: cached '
            f'{osp.join(teacher_dir, "teacher.pth")} '
            f'({task.metric_label} {meta["top1"]:.2f})',
            flush=True)
        return dict(
            row,
            value=float(meta['top1']),
            extra=meta.get('ap50'),
            seconds=float(meta.get('seconds', 0.)),
            cached=True)
    print(
        f'[1/{total}] teacher: training {label} '
        f'(configs/{osp.basename(task.config_dir)}/{config_file}) ...',
        flush=True)
    tic = time.time()
    value, extra = train(name, config, teacher_dir,
                         common_options(args) + task.run_options(args, name),
                         args, config_epochs(config, args))
    seconds = time.time() - tic
    save_teacher(teacher_dir, config, key, value, seconds, extra)
    print(
        f'[1/{total}] teacher: {task.metric_label} {value:.2f} in '
        f'{seconds:.1f} s ({_elapsed(start)})',
        flush=True)
    return dict(row, value=value, extra=extra, seconds=seconds)


def run_student(args, spec, seed: int, step: str, start: float,
                teacher_key: str, teacher_digest: str) -> dict:
    """Train the student alone or distilled (``spec``) with ``seed`` in
    ``<work-dir>/seed_<seed>/<name>``, or reuse the finished run there;
    its row of the table (``cache_seconds``: the time spent making the
    teacher cache for it)."""
    task = args.task
    name, config_file, label, short = spec
    config = osp.join(task.config_dir, config_file)
    several = len(args.seeds) > 1
    tag = f'{name} (seed {seed})' if several else name
    work_dir = osp.join(args.work_dir, f'seed_{seed}', name)
    teacher_ckpt = osp.join(args.work_dir, 'teacher', 'teacher.pth')
    options = common_options(args) + task.run_options(args, name) + [
        f'randomness.seed={seed}'
    ]
    distilled = name != 'student'
    cache_dir = None
    if distilled:
        options.append(f'model.teacher_ckpt={teacher_ckpt}')
        if args.teacher_cache:
            cache_dir = teacher_cache_dir(args, teacher_key, teacher_digest,
                                          seed)
            options.append(f'model.teacher_cache={cache_dir}')
            work_dir += '-cached'
    key = run_key(config, options, teacher_digest if distilled else None)
    row = dict(name=name, label=label, short=short, seed=seed)
    record = None if args.retrain_students else finished_run(work_dir, key)
    if record is not None:
        print(
            f'[{step}] {tag}: finished run reused '
            f'({osp.relpath(work_dir, args.work_dir)}, '
            f'{task.metric_label} {record["value"]:.2f})',
            flush=True)
        return dict(
            row,
            value=record['value'],
            extra=record.get('extra'),
            seconds=record['seconds'],
            cached=True)
    cache_seconds = 0.
    if cache_dir is not None and not teacher_cache_complete(cache_dir):
        print(
            f'[{step}] caching the teacher logits for seed {seed} '
            '(tools/cache_teacher_logits.py) ...',
            flush=True)
        cache_seconds = make_teacher_cache(args, teacher_ckpt, cache_dir,
                                           seed)
        print(f'    teacher cache {cache_dir} ({cache_seconds:.1f} s)',
              flush=True)
    print(
        f'[{step}] {tag}: training {label} '
        f'(configs/{osp.basename(task.config_dir)}/{config_file}) ...',
        flush=True)
    tic = time.time()
    value, extra = train(f'{name}@{seed}' if several else name, config,
                         work_dir, options, args,
                         config_epochs(config, args))
    seconds = time.time() - tic
    save_run(work_dir, key, value, extra, seconds)
    print(
        f'[{step}] {tag}: {task.metric_label} {value:.2f} in '
        f'{seconds:.1f} s ({_elapsed(start)})',
        flush=True)
    return dict(
        row,
        value=value,
        extra=extra,
        seconds=seconds,
        cache_seconds=cache_seconds)


def main(argv=None) -> int:
    args = parse_args(argv)
    task = args.task
    start = time.time()
    os.makedirs(args.work_dir, exist_ok=True)
    students = [task.student] + [(m, ) + task.methods[m]
                                 for m in args.methods]
    total = 1 + len(args.seeds) * len(students)
    seeds_text = ', '.join(map(str, args.seeds))
    print(
        f'mmlogitkd quick start: {total} runs into {args.work_dir}' +
        (f' (students with seeds {seeds_text})'
         if len(args.seeds) > 1 else ''),
        flush=True)
    if task.prepare is not None:
        task.prepare(args)
    rows = []
    try:
        if task.pretrain is not None:
            task.pretrain(args)
        teacher_key = teacher_cache_key(args)
        rows.append(run_teacher(args, teacher_key, total, start))
        teacher_digest = file_digest(
            osp.join(args.work_dir, 'teacher', 'teacher.pth'))
        step = 1
        for seed in args.seeds:
            for spec in students:
                step += 1
                rows.append(
                    run_student(args, spec, seed, f'{step}/{total}', start,
                                teacher_key, teacher_digest))
    except RunFailed as e:
        print(f'\nERROR: {e}', file=sys.stderr, flush=True)
        return 1

    values = OrderedDict()
    for row in rows[1:]:
        values.setdefault(row['name'], {})[row['seed']] = row['value']
    results = seed_results(task.name, task.metric_name, args.seeds,
                           rows[0]['value'], values)
    table = markdown_table(results, rows, task)
    if task.report is not None:
        try:
            table += '\n\n' + task.report(args, rows)
        except RunFailed as e:
            print(f'\nERROR: {e}', file=sys.stderr, flush=True)
            return 1
    if not task.no_teacher_cache:
        mode = 'cached' if args.teacher_cache else 'online'
        keys = [f'{teacher_key}|seed={seed}' for seed in args.seeds]
        for seed, seed_key in zip(args.seeds, keys):
            timings = record_timings(args.work_dir, mode, seed_key,
                                     [r for r in rows if r['seed'] == seed])
        if args.teacher_cache:
            cache_seconds = sum(r.get('cache_seconds', 0.) for r in rows)
            table += '\n\n' + time_saved(timings, keys, args.methods,
                                          cache_seconds)
    total_seconds = time.time() - start
    results_md = osp.join(args.work_dir, 'results.md')
    results_json = osp.join(args.work_dir, 'results.json')
    png = osp.join(args.work_dir, 'quickstart.png')
    write_json(results, results_json)
    write_results(results_md, table, sys.argv[1:] if argv is None else argv,
                  total_seconds, args.seeds, task.data_note)
    plot(results, rows, png, task)
    print('\n' + table + '\n')
    print(f'Total time {total_seconds:.0f} s. Table: {results_md}; '
          f'numbers: {results_json}; plot: {png}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
