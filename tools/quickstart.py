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

(values in %; ``se`` is null for one seed; see ``seed_results``).

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
"""
import argparse
import hashlib
import json
import math
import os
import os.path as osp
import re
import shutil
import statistics
import subprocess
import sys
import time
import warnings
from collections import OrderedDict, deque
from typing import Optional, Tuple

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
# mmengine imports setuptools' pkg_resources, whose deprecation warning
# would print again at every config this tool reads (mmengine's
# custom_imports re-execute modules); the runs' own logs keep theirs
warnings.filterwarnings(
    'ignore', message='pkg_resources is deprecated', category=UserWarning)
CONFIG_DIR = osp.join(ROOT, 'configs', 'quickstart')
TRAIN = osp.join(ROOT, 'tools', 'train.py')

# name -> (config file, label in the table, label in the plot)
TEACHER = ('teacher', 'teacher.py', 'teacher alone (ResNet8x4)', 'teacher')
STUDENT = ('student', 'student.py', 'student alone (narrow ResNet8)',
           'student')
DET_TEACHER = ('teacher', 'teacher.py', 'teacher alone (Faster R-CNN R-18 FPN)',
               'teacher')
DET_STUDENT = ('student', 'student.py',
               'student alone (Faster R-CNN half-width R-18 FPN)', 'student')
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
    ('dist', ('dist.py', 'DIST', 'DIST')),
    ('ttm', ('ttm.py', 'TTM', 'TTM')),
    ('wttm', ('wttm.py', 'WTTM', 'WTTM')),
    ('wsld', ('wsld.py', 'WSLD', 'WSLD')),
    ('skd', ('skd.py', 'SKD', 'SKD')),
])


def det_data_options(work_dir: str) -> list:
    """``--cfg-options`` pointing the detection runs at the canvases that
    ``make_det_data`` writes into the work dir."""
    data = osp.join(work_dir, 'data') + '/'
    ann = data + 'annotations/instances_val2017.json'
    opts = [f'{loader}.dataset.data_root={data}'
            for loader in ('train_dataloader', 'val_dataloader',
                           'test_dataloader')]
    opts += [f'{ev}.ann_file={ann}'
             for ev in ('val_evaluator', 'test_evaluator')]
    return opts


def make_det_data(work_dir: str) -> None:
    from mmlogitkd.datasets.digits_coco import make_digits_coco
    print('making the COCO-format digits (once) ...', flush=True)
    tic = time.time()
    out = make_digits_coco(osp.join(work_dir, 'data'))
    DET_STAGES['data'] = dict(
        seconds=time.time() - tic, cached=not out['generated'])


# The detectors' backbones are pretrained once, with their configs' seed 0,
# on the training digits' classification (the papers' detectors start from
# ImageNet weights) and cached like the teacher: role -> config of
# configs/quickstart_det/pretrain/.
DET_BACKBONES = OrderedDict([('teacher', 'teacher_backbone.py'),
                             ('student', 'student_backbone.py')])
# Training images over which the teacher's accuracy on the student's RoIs
# is measured (tools/analysis/det_teacher_roi_accuracy.py).
DET_ROI_IMAGES = 200
# This invocation's detection stages before the runs: name -> seconds,
# cached and (backbones) the digits test top-1.
DET_STAGES = OrderedDict()


def det_pretrain(args) -> None:
    """Pretrain both detectors' backbones, or take the cached ones; sets
    ``args.det_backbones`` (role -> checkpoint), which ``det_run_options``
    hands to the runs."""
    args.det_backbones = OrderedDict(
        (role, pretrained_backbone(args, role, config_file))
        for role, config_file in DET_BACKBONES.items())


def config_key(config: str) -> str:
    """Hash of a fully resolved config (bases included)."""
    from mmengine.config import Config
    content = {
        k: v
        for k, v in Config.fromfile(config).to_dict().items()
        if k not in _NOT_RESULT_KEYS
    }
    return hashlib.sha256(
        json.dumps(content, sort_keys=True,
                   default=repr).encode()).hexdigest()


def cached_backbone(pretrain_dir: str, name: str, key: str):
    """The record (``<name>.json``) of a cached pretrained backbone made
    with ``key``, when its checkpoint is there and whole; else None."""
    try:
        with open(osp.join(pretrain_dir, f'{name}.json')) as f:
            meta = json.load(f)
        path = osp.join(pretrain_dir, meta['file'])
        if (meta.get('key') != key or not osp.isfile(path)
                or meta['file'] != backbone_file_name(name, path)):
            return None
        float(meta['top1'])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return meta


def backbone_file_name(name: str, path: str) -> str:
    """``<name>-<first 8 hex digits of the sha256>.pth``, as OpenMMLab
    names its published checkpoints: a run that names the file names its
    content, so the teacher's and the students' run keys follow it."""
    return f'{name}-{file_digest(path)[:8]}.pth'


def pretrained_backbone(args, role: str, config_file: str) -> str:
    """Pretrain ``role``'s backbone with ``configs/quickstart_det/pretrain/
    <config_file>`` through ``tools/train.py``, or take the cached one;
    return its checkpoint.

    The checkpoint is a plain mmpretrain one (the classifier's
    ``state_dict``: ``backbone.*``, ``head.*``) that the detector's
    backbone loads through ``init_cfg=dict(type='Pretrained',
    prefix='backbone.')``. ``<work-dir>/pretrain/<name>.pth`` links to the
    latest (the model files' default path)."""
    import torch

    from mmlogitkd.utils import load_checkpoint_file
    config = osp.join(TASK.config_dir, 'pretrain', config_file)
    name = osp.splitext(config_file)[0]
    pretrain_dir = osp.join(args.work_dir, 'pretrain')
    key = config_key(config)
    meta = cached_backbone(pretrain_dir, name, key)
    if meta is not None:
        path = osp.join(pretrain_dir, meta['file'])
        print(
            f'[pretrain] {role} backbone: cached {path} (digits test top-1 '
            f'{meta["top1"]:.2f})',
            flush=True)
        DET_STAGES[f'{role} backbone'] = dict(
            seconds=float(meta['seconds']), cached=True, top1=meta['top1'])
        return path
    print(
        f'[pretrain] {role} backbone: training on the training digits '
        f'(configs/quickstart_det/pretrain/{config_file}) ...',
        flush=True)
    work_dir = osp.join(pretrain_dir, name)
    tic = time.time()
    from mmengine.config import Config
    epochs = int(Config.fromfile(config).train_cfg.max_epochs)
    top1, _ = train(f'{role}-bb', config, work_dir, [], args, epochs,
                    metric=('accuracy/top1', 1.))
    seconds = time.time() - tic
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        last = f.read().strip()
    if not osp.isabs(last):
        last = osp.join(work_dir, osp.basename(last))
    state_dict = load_checkpoint_file(last)['state_dict']
    tmp = osp.join(pretrain_dir, f'{name}.pth.tmp')
    torch.save(
        dict(
            state_dict=state_dict,
            meta=dict(config=osp.relpath(config, ROOT), top1=top1)), tmp)
    file_name = backbone_file_name(name, tmp)
    for old in os.listdir(pretrain_dir):  # earlier backbones of this name
        if re.fullmatch(re.escape(name) + r'-[0-9a-f]{8}\.pth', old):
            os.remove(osp.join(pretrain_dir, old))
    path = osp.join(pretrain_dir, file_name)
    os.replace(tmp, path)
    link = osp.join(pretrain_dir, f'{name}.pth')
    if osp.lexists(link):
        os.remove(link)
    try:
        os.symlink(file_name, link)
    except OSError:  # no symlinks here: a copy
        import shutil
        shutil.copyfile(path, link)
    with open(osp.join(pretrain_dir, f'{name}.json'), 'w') as f:
        json.dump(
            dict(key=key, file=file_name, top1=top1, seconds=seconds),
            f,
            indent=2)
    DET_STAGES[f'{role} backbone'] = dict(
        seconds=seconds, cached=False, top1=top1)
    print(
        f'[pretrain] {role} backbone: digits test top-1 {top1:.2f} in '
        f'{seconds:.1f} s -> {path}',
        flush=True)
    return path


def det_run_options(args, name: str) -> list:
    """``--cfg-options`` giving a detection run its pretrained backbone:
    the teacher's to the teacher, the student's to the student alone and
    to every distilled student (``model.student``); none before
    ``det_pretrain``."""
    backbones = getattr(args, 'det_backbones', None)
    if not backbones:
        return []
    if name == 'teacher':
        return [f'model.backbone.init_cfg.checkpoint={backbones["teacher"]}']
    model = 'model' if name == 'student' else 'model.student'
    return [
        f'{model}.backbone.init_cfg.checkpoint={backbones["student"]}'
    ]


def det_report(args, rows) -> str:
    """What the detection table adds: the stages before the runs and, per
    seed, the share of the student's RoIs the teacher classifies right."""
    lines = []
    stages = []
    for name, stage in DET_STAGES.items():
        notes = (['cached'] if stage['cached'] else []) + (
            [f'digits test top-1 {stage["top1"]:.1f}%']
            if 'top1' in stage else [])
        stages.append(f'{name} {stage["seconds"]:.0f} s' +
                      (f' ({"; ".join(notes)})' if notes else ''))
    if stages:
        lines.append('Before the runs: ' + '; '.join(stages) + '.')
    for seed in args.seeds:
        roi = teacher_roi_accuracy(args, seed)
        if roi is None:
            lines.append(f'Teacher on the student\'s RoIs (seed {seed}): '
                         'not measured (no checkpoint of the student alone).')
            continue
        lines.append(
            f"Teacher on the student's RoIs (the student alone's, seed "
            f'{seed}, {roi["images"]} training images; '
            'tools/analysis/det_teacher_roi_accuracy.py): '
            f'{roi["teacher_fg_right"]:.1f}% of the {roi["foreground"]} '
            f'foreground RoIs classified right '
            f'({roi["teacher_fg_iou60_right"]:.1f}% of the '
            f'{roi["foreground_iou60"]} that overlap their digit by IoU >= '
            f'0.6; the student itself {roi["student_fg_right"]:.1f}%), '
            f'{roi["teacher_right"]:.1f}% of all {roi["rois"]}.')
    return '\n\n'.join(lines)


def teacher_roi_accuracy(args, seed: int) -> Optional[dict]:
    """The teacher's accuracy on the RoIs of the student alone of ``seed``
    (its last checkpoint), measured by ``tools/analysis/
    det_teacher_roi_accuracy.py`` and kept beside that checkpoint while
    the student's and the teacher's weights are the same; None when the
    student run left no checkpoint."""
    student_dir = osp.join(args.work_dir, f'seed_{seed}', 'student')
    try:
        with open(osp.join(student_dir, 'last_checkpoint')) as f:
            ckpt = f.read().strip()
    except OSError:
        return None
    if not osp.isabs(ckpt):
        ckpt = osp.join(student_dir, osp.basename(ckpt))
    teacher_ckpt = osp.join(args.work_dir, 'teacher', 'teacher.pth')
    if not (osp.isfile(ckpt) and osp.isfile(teacher_ckpt)):
        return None
    tool = osp.join(ROOT, 'tools', 'analysis', 'det_teacher_roi_accuracy.py')
    key = '|'.join([
        file_digest(ckpt),
        file_digest(teacher_ckpt),
        file_digest(tool),
        str(DET_ROI_IMAGES),
        str(seed)
    ])
    record_path = osp.join(student_dir, 'teacher_roi_accuracy.json')
    try:
        with open(record_path) as f:
            record = json.load(f)
        if record.get('key') == key:
            return record['result']
    except (OSError, ValueError, KeyError):
        pass
    print(
        f"measuring the teacher on the student's RoIs (seed {seed}) ...",
        flush=True)
    config = osp.join(TASK.config_dir, TASK.methods['kd'][0])
    cmd = [
        sys.executable, tool, config, ckpt, '--images',
        str(DET_ROI_IMAGES), '--cfg-options',
        f'model.teacher_ckpt={teacher_ckpt}', f'randomness.seed={seed}'
    ] + common_options(args)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=run_env())
    if proc.returncode != 0:
        raise RunFailed('measuring the teacher on the student\'s RoIs failed'
                        f'.\nCommand: {" ".join(cmd)}\n'
                        f'{proc.stdout[-2000:]}{proc.stderr[-3000:]}')
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    with open(record_path, 'w') as f:
        json.dump(dict(key=key, result=result), f, indent=1)
    return result


# ------------------------------------------------------ re-identification
REID_TEACHER = ('teacher', 'teacher.py',
                'teacher alone (ResNet-18 at 1/2 width)', 'teacher')
REID_STUDENT = ('student', 'student.py',
                'student alone (ResNet-18 at 1/4 width)', 'student')
# the classification quick start's methods, each in its re-id config
# of configs/quickstart_reid/ (same file names)
REID_METHODS = OrderedDict(METHODS)


def reid_data_options(work_dir: str) -> list:
    """``--cfg-options`` pointing the re-id runs at the Market-1501-format
    folder that ``make_reid_data`` writes into the work dir."""
    data = osp.join(work_dir, 'data')
    return [
        f'{loader}.dataset.data_root={data}'
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader')
    ]


def make_reid_data(work_dir: str) -> None:
    from mmlogitkd.datasets.digits_market1501 import make_digits_market1501
    print('making the Market-1501-format digits (once) ...', flush=True)
    make_digits_market1501(osp.join(work_dir, 'data'))


class Task:
    """One quick start: its configs and runs, the metric read from the
    runner's scalars (``metric``; ``scale`` turns it into %), its name in
    ``results.json`` (``metric_name``), how the schedule is shortened, the
    data it makes once (``prepare(work_dir)``) and points the runs at
    (``data_options(work_dir)``), why it refuses ``--teacher-cache``
    (``no_teacher_cache``; None: supported), environment variables its
    runs get unless the caller set them (``env``), what it trains once
    before the teacher (``pretrain(args)``, e.g. backbones), the
    ``--cfg-options`` each run gets from it (``run_options(args, name)``)
    and what its table adds (``report(args, rows) -> str``)."""

    def __init__(self, name, config_dir, teacher, student, methods, metric,
                 metric_name, metric_label, scale=1., extra_metric=None,
                 extra_label=None, by_iter=False, prepare=None,
                 data_options=None, no_teacher_cache=None, title='',
                 data_note='', env=None, pretrain=None, run_options=None,
                 report=None):
        self.name = name
        self.config_dir = osp.join(ROOT, 'configs', config_dir)
        self.teacher, self.student, self.methods = teacher, student, methods
        self.metric, self.metric_name = metric, metric_name
        self.metric_label, self.scale = metric_label, scale
        self.extra_metric, self.extra_label = extra_metric, extra_label
        self.by_iter = by_iter
        self.prepare = prepare
        self.data_options = data_options or (lambda work_dir: [])
        self.no_teacher_cache = no_teacher_cache
        self.title, self.data_note = title, data_note
        self.env = dict(env or {})
        self.pretrain = pretrain
        self.run_options = run_options or (lambda args, name: [])
        self.report = report


TASKS = {
    'cls':
    Task(
        'cls', 'quickstart', TEACHER, STUDENT, METHODS, 'accuracy/top1',
        'top-1', 'test top-1 (%)',
        # tiny networks on 16x16 images: as for re-id, one intra-op thread
        # (two stall each other on a busy machine), and the quick starts of
        # classification and re-id can run side by side, a core each
        env=dict(OMP_NUM_THREADS='1'),
        title='200 training images, 898 test images',
        data_note=("Data: scikit-learn's handwritten digits (8x8 resized to "
                   '16x16), 20 training images per class, 898 test images. '
                   'Teacher: ResNet8x4 (1.2 M parameters); student: ResNet8 '
                   'at 3/16 width (3 k parameters). Every run goes through '
                   '`tools/train.py` with `configs/quickstart/<run>.py`.')),
    'det':
    Task(
        'det', 'quickstart_det', DET_TEACHER, DET_STUDENT, DET_METHODS,
        'coco/bbox_mAP', 'bbox AP', 'val bbox AP (%)', scale=100.,
        extra_metric='coco/bbox_mAP_50', extra_label='AP50 (%)',
        by_iter=True, prepare=make_det_data, data_options=det_data_options,
        no_teacher_cache=("a detector's teacher logits depend on the RoIs "
                          'the student samples at each step'),
        pretrain=det_pretrain, run_options=det_run_options,
        report=det_report,
        title='Faster R-CNN FPN, 1,000 training canvases',
        data_note=("Data: scikit-learn's handwritten digits pasted, 2-6 per "
                   'image at 16-48 px, on 128x128 canvases (COCO format): '
                   '1,000 training and 200 val images from disjoint halves '
                   'of the digits. Teacher and student: Faster R-CNN FPN of '
                   '`configs/quickstart_det/models/` (fully connected box '
                   'heads, no batch norm outside the backbones, no gradient '
                   'clipping), their backbones pretrained on the training '
                   'digits (`configs/quickstart_det/pretrain/`). Every run '
                   'goes through `tools/train.py` with '
                   '`configs/quickstart_det/<run>.py`.')),
    'reid':
    Task(
        'reid', 'quickstart_reid', REID_TEACHER, REID_STUDENT, REID_METHODS,
        'reid/mAP', 'mAP', 'test mAP (%)', extra_metric='reid/rank1',
        extra_label='rank-1 (%)', prepare=make_reid_data,
        data_options=reid_data_options,
        # small networks on small crops: two intra-op threads stall each
        # other on a busy 2-core machine (about 10x slower per step
        # measured at load 4-5), one does not
        env=dict(OMP_NUM_THREADS='1'),
        title='ResNet-18 at 1/2 and 1/4 width, 200 training identities',
        data_note=("Data: scikit-learn's handwritten digits as a "
                   'Market-1501-format re-identification set: each '
                   'identity is one handwritten sample seen by 2-4 of 6 '
                   'cameras, each camera with its own imaging style; 200 '
                   'training and 100 test identities (disjoint), 0000 '
                   'distractors and -1 junk in the gallery; 48x24 crops. '
                   "Teacher: torchreid's ResNet-18 at half width (2.9 M "
                   'parameters); student: at a quarter width (0.73 M), as '
                   '`TorchreidClassifier`. mAP and rank-1 of '
                   '`ReIDMetric` (query vs gallery of other cameras). '
                   'Every run goes through `tools/train.py` with '
                   '`configs/quickstart_reid/<run>.py`.')),
}
TASK = TASKS['cls']
# Run keys (teacher cache, finished runs) ignore entries that cannot change
# a result.
_NOT_RESULT_KEYS = ('work_dir', 'launcher')
# The teacher is trained once, with its configs' seed (randomness.seed).
TEACHER_SEED = 0
# A finished student run's result, in its work dir (see finished_run).
RUN_RECORD = 'quickstart_run.json'
_TIMESTAMP = re.compile(r'^\d{8}_\d{6}$')
_LOG_PREFIX = re.compile(r'^\d\d/\d\d \d\d:\d\d:\d\d - mmengine - \w+ - ')
_TRAIN_EPOCH = re.compile(r'(?:Epoch|Iter)\(train\)\s*\[\s*(\d+)')


class RunFailed(RuntimeError):
    pass


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
        parser.error('--iters (>= 1) is for the tasks that count '
                     'iterations: ' +
                     ', '.join(f'--task {t.name}' for t in TASKS.values()
                               if t.by_iter))
    if args.epochs is not None and TASK.by_iter:
        parser.error(f'--task {TASK.name} counts iterations: use --iters')
    if args.teacher_cache and TASK.no_teacher_cache:
        parser.error(f'--teacher-cache is not for --task {TASK.name}: '
                     f'{TASK.no_teacher_cache}')
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
    opts += TASK.data_options(args.work_dir)
    return opts


def teacher_cache_key(args) -> str:
    """Hash of the teacher's fully resolved config (bases included) with the
    overrides of this invocation."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(TASK.config_dir, TASK.teacher[1]))
    overrides = dict(
        opt.split('=', 1) for opt in common_options(args) +
        TASK.run_options(args, TASK.teacher[0]))
    content = {
        k: v
        for k, v in cfg.to_dict().items() if k not in _NOT_RESULT_KEYS
    }
    blob = json.dumps([content, overrides], sort_keys=True, default=repr)
    return hashlib.sha256(blob.encode()).hexdigest()


def run_key(config: str, options, teacher_digest: Optional[str]) -> str:
    """What makes a student run's result: its fully resolved config (bases
    included, and the model files a distillation config names by
    ``cfg_path``), its ``--cfg-options`` (seed included) and the teacher's
    weights (``teacher_digest``)."""
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    content = {
        k: v
        for k, v in cfg.to_dict().items() if k not in _NOT_RESULT_KEYS
    }
    models = {}
    for role in ('student', 'teacher'):
        cfg_path = (content.get('model') or {}).get(role, {}).get('cfg_path')
        if cfg_path:
            models[role] = Config.fromfile(
                model_file(cfg_path)).to_dict().get('model')
    blob = json.dumps([content, models, list(options), teacher_digest],
                      sort_keys=True,
                      default=repr)
    return hashlib.sha256(blob.encode()).hexdigest()


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
    from mmlogitkd.utils.checkpoint import atomic_write_bytes
    record = dict(key=key, value=value, extra=extra, seconds=seconds)
    atomic_write_bytes(
        json.dumps(record, indent=1).encode(), osp.join(work_dir, RUN_RECORD))


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


def read_top1(work_dir: str,
              before: set,
              key: Optional[str] = None,
              scale: Optional[float] = None) -> float:
    """Last value of the task's metric (``accuracy/top1``, or ``key``) of the
    run that made a new timestamp folder in ``work_dir``
    (``<timestamp>/vis_data/scalars.json``), in % (times the task's
    ``scale``, or ``scale``)."""
    key = key or TASK.metric
    scale = TASK.scale if scale is None else scale
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


def train(name: str,
          config: str,
          work_dir: str,
          options,
          args,
          max_epochs: int,
          metric: Optional[Tuple[str, float]] = None) -> Tuple:
    """Run ``tools/train.py`` in a subprocess; return its test top-1 and the
    task's extra metric (None without one), or, given ``metric`` (a
    scalar's name and its scale to %, for a run of another kind, e.g. a
    backbone's pretraining), that metric and None."""
    cmd = [sys.executable, TRAIN, config, '--work-dir', work_dir]
    if options:
        cmd += ['--cfg-options'] + list(options)
    os.makedirs(work_dir, exist_ok=True)
    log_path = osp.join(work_dir, 'quickstart_train.log')
    before = timestamp_dirs(work_dir)
    env = dict(run_env(), PYTHONUNBUFFERED='1')
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
    if metric is not None:
        return read_top1(work_dir, before, *metric), None
    extra = read_top1(work_dir, before,
                      TASK.extra_metric) if TASK.extra_metric else None
    return read_top1(work_dir, before), extra


def run_env() -> dict:
    """The environment of the runs: this one, plus the task's ``env`` for
    the variables it does not set."""
    env = dict(os.environ)
    for key, value in TASK.env.items():
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
    config = osp.join(TASK.config_dir, TASK.methods[cache_method(args)][0])
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
    proc = subprocess.run(cmd, capture_output=True, text=True, env=run_env())
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


# ------------------------------------------------------------ statistics
def mean_se(values) -> Tuple[float, Optional[float]]:
    """Mean and standard error of ``values`` (the sample standard
    deviation, ddof 1, over sqrt(n)); the SE is None for one value."""
    values = [float(v) for v in values]
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, None
    return mean, statistics.stdev(values) / math.sqrt(len(values))


def seed_results(task: str, metric: str, seeds, teacher: float,
                 values) -> dict:
    """The content of ``results.json``.

    Args:
        task (str): ``'cls'``, ``'det'`` or ``'reid'``.
        metric (str): The metric's name (``'top-1'``, ``'bbox AP'``, ...).
        seeds (list[int]): The student runs' seeds.
        teacher (float): The teacher's metric (%), trained with seed 0.
        values (dict[str, dict[int, float]]): Metric (%) by seed of
            ``'student'`` (the student alone) and of each method.

    Returns:
        dict: ``runs[name]`` has ``per_seed`` (seeds as strings), ``mean``
        and ``se``; a method also has ``gain``, the mean and SE of its
        per-seed differences with the student alone (paired by seed: the
        seed's data order and initialisation are shared, so their
        variation cancels). The teacher has ``per_seed`` only.
    """
    seeds = list(seeds)
    student = values['student']
    runs = {'teacher': {'per_seed': {str(TEACHER_SEED): float(teacher)}}}
    for name, by_seed in values.items():
        mean, se = mean_se(by_seed[s] for s in seeds)
        run = dict(
            per_seed={str(s): float(by_seed[s])
                      for s in seeds},
            mean=mean,
            se=se)
        if name != 'student':
            gain, gain_se = mean_se(by_seed[s] - student[s] for s in seeds)
            run['gain'] = dict(mean=gain, se=gain_se)
        runs[name] = run
    return dict(task=task, metric=metric, seeds=seeds, runs=runs)


def write_json(results: dict, path: str) -> None:
    from mmlogitkd.utils.checkpoint import atomic_write_bytes
    atomic_write_bytes((json.dumps(results, indent=1) + '\n').encode(), path)


# ----------------------------------------------------------------- report
def _pm(mean: float, se: Optional[float], sign: str = '') -> str:
    return f'{mean:{sign}.2f} ± {se:.2f}'


def _value(value: Optional[float]) -> str:
    # a teacher cached before its extra metric was recorded has none
    return '' if value is None else f'{value:.2f}'


def _seconds(rows) -> str:
    total = sum(r['seconds'] for r in rows)
    cached = sum(bool(r.get('cached')) for r in rows)
    if cached == len(rows):
        return f'cached ({total:.1f})'
    if cached:
        return f'{total:.1f} ({cached} cached)'
    return f'{total:.1f}'


def markdown_table(results: dict, rows) -> str:
    """The table of the runs (``rows``: one per run and seed, the teacher
    first, in order): with one seed, each run's metric and its difference
    with the student alone; with several, mean ± SE and the paired gain ±
    SE (``results``, see ``seed_results``), and every seed's value."""
    seeds = results['seeds']
    runs = results['runs']
    names = list(OrderedDict.fromkeys(r['name'] for r in rows))
    by_name = {n: [r for r in rows if r['name'] == n] for n in names}
    extra = TASK.extra_metric is not None
    if len(seeds) == 1:
        student = runs.get('student', {}).get('mean')
        lines = [
            f'| run | method | {TASK.metric_label} |'
            f'{f" {TASK.extra_label} |" if extra else ""} vs student alone '
            '| time (s) |',
            '|---|---|---:|' + ('---:|' if extra else '') + '---:|---:|',
        ]
        for name in names:
            row = by_name[name][0]
            if name == 'teacher' or student is None:
                delta = ''
            else:
                delta = f'{row["value"] - student:+.2f}'
            ap50 = f' {_value(row["extra"])} |' if extra else ''
            lines.append(f'| {name} | {row["label"]} | '
                         f'{row["value"]:.2f} |{ap50} {delta} | '
                         f'{_seconds([row])} |')
        return '\n'.join(lines)

    lines = [
        f'| run | method | {TASK.metric_label}, mean ± SE |' +
        (f' {TASK.extra_label}, mean ± SE |' if extra else '') +
        ' vs student alone, paired mean ± SE | per seed '
        f'({" / ".join(map(str, seeds))}) | time (s) |',
        '|---|---|---:|' + ('---:|' if extra else '') + '---:|---|---:|',
    ]
    for name in names:
        group = by_name[name]
        label = group[0]['label']
        if name == 'teacher':
            row = group[0]
            ap50 = f' {_value(row["extra"])} |' if extra else ''
            lines.append(f'| {name} | {label} | {row["value"]:.2f} |{ap50} '
                         f'| {row["value"]:.2f} (seed {row["seed"]} only) '
                         f'| {_seconds(group)} |')
            continue
        run = runs[name]
        ap50 = (f' {_pm(*mean_se(r["extra"] for r in group))} |'
                if extra else '')
        gain = _pm(run['gain']['mean'], run['gain']['se'],
                   '+') if 'gain' in run else ''
        per_seed = ' / '.join(f'{run["per_seed"][str(s)]:.2f}' for s in seeds)
        lines.append(f'| {name} | {label} | {_pm(run["mean"], run["se"])} |'
                     f'{ap50} {gain} | {per_seed} | {_seconds(group)} |')
    return '\n'.join(lines)


def plot(results: dict, rows, path: str) -> None:
    """Bars of the runs' metric; with several seeds the means with SE error
    bars, labelled mean ± SE and, for the methods, the paired gain ± SE."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    seeds = results['seeds']
    several = len(seeds) > 1
    names = list(OrderedDict.fromkeys(r['name'] for r in rows))
    shorts = {r['name']: r['short'] for r in rows}
    means, errors, labels = [], [], []
    for name in names:
        run = results['runs'][name]
        if name == 'teacher':
            value, se = run['per_seed'][str(TEACHER_SEED)], None
        else:
            value, se = run['mean'], run['se']
        means.append(value)
        errors.append(se or 0.)
        label = f'{value:.1f}' if se is None else f'{value:.1f}±{se:.1f}'
        if several and 'gain' in run:
            label += f'\n{run["gain"]["mean"]:+.1f}±{run["gain"]["se"]:.1f}'
        labels.append(label)
    student = results['runs'].get('student', {}).get('mean')
    colors = [
        '#7f7f7f' if n == 'teacher' else
        '#d62728' if n == 'student' else '#1f77b4' for n in names
    ]
    fig, ax = plt.subplots(figsize=(1.1 * len(names) + 2.5, 4.2))
    bars = ax.bar([shorts[n] for n in names], means, color=colors)
    with_se = [i for i, n in enumerate(names) if n != 'teacher']
    if several:
        ax.errorbar(
            with_se, [means[i] for i in with_se],
            yerr=[errors[i] for i in with_se],
            fmt='none',
            ecolor='black',
            elinewidth=1,
            capsize=4)
    for bar, value, err, label in zip(bars, means, errors, labels):
        ax.text(
            bar.get_x() + bar.get_width() / 2,
            value + err + 0.3,
            label,
            ha='center',
            va='bottom',
            fontsize=8 if several else 9)
    if student is not None:
        ax.axhline(student, color='#d62728', linestyle='--', linewidth=1)
        ax.text(
            len(names) - 0.5,
            student,
            ' student\n alone',
            color='#d62728',
            va='center',
            ha='left',
            fontsize=8)
    ax.set_xlim(-0.6, len(names) + 0.3)
    tops = [m + e for m, e in zip(means, errors)]
    ax.set_ylim(max(0., min(means) - 8.), max(tops) + (8. if several else 4.))
    ax.set_ylabel(TASK.metric_label)
    title = f"Logit distillation on scikit-learn's digits: {TASK.title}"
    if several:
        title += (f'\nmean ± SE over seeds {", ".join(map(str, seeds))}; '
                  'below: gain over the student alone, paired by seed')
    ax.set_title(title, fontsize=10 if several else None)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_results(path, table, argv, total_seconds, seeds=(TEACHER_SEED, )):
    command = ' '.join(['python tools/quickstart.py'] + list(argv))
    text = ['# mmlogitkd quick start: results', '', TASK.data_note, '']
    if len(seeds) > 1:
        text += [
            f'Student runs over seeds {", ".join(map(str, seeds))} (the '
            f'teacher once, seed {TEACHER_SEED}): mean ± SE (the sample '
            'standard deviation over sqrt(n)); vs student alone: the mean '
            '± SE of the per-seed differences with the student alone of the '
            'same seed. Every number: `results.json`.', ''
        ]
    text += [
        table, '', f'Total time: {total_seconds:.0f} s. Command: '
        f'`{command}`.', ''
    ]
    with open(path, 'w', encoding='utf-8') as f:
        f.write('\n'.join(text))


# ------------------------------------------------------------------- main
def _elapsed(start: float) -> str:
    return f'elapsed {time.time() - start:.0f} s'


def run_teacher(args, key: str, total: int, start: float) -> dict:
    """Train the teacher (its config's seed, 0) or take the cached one;
    its row of the table."""
    name, config_file, label, short = TASK.teacher
    config = osp.join(TASK.config_dir, config_file)
    teacher_dir = osp.join(args.work_dir, 'teacher')
    row = dict(name=name, label=label, short=short, seed=TEACHER_SEED)
    meta = None if args.retrain_teacher else cached_teacher(teacher_dir, key)
    if meta is not None:
        print(
            f'[1/{total}] teacher: cached '
            f'{osp.join(teacher_dir, "teacher.pth")} '
            f'({TASK.metric_label} {meta["top1"]:.2f})',
            flush=True)
        return dict(
            row,
            value=float(meta['top1']),
            extra=meta.get('ap50'),
            seconds=float(meta.get('seconds', 0.)),
            cached=True)
    print(
        f'[1/{total}] teacher: training {label} '
        f'(configs/{osp.basename(TASK.config_dir)}/{config_file}) ...',
        flush=True)
    tic = time.time()
    value, extra = train(name, config, teacher_dir,
                         common_options(args) + TASK.run_options(args, name),
                         args, config_epochs(config, args))
    seconds = time.time() - tic
    save_teacher(teacher_dir, key, value, seconds, extra)
    print(
        f'[1/{total}] teacher: {TASK.metric_label} {value:.2f} in '
        f'{seconds:.1f} s ({_elapsed(start)})',
        flush=True)
    return dict(row, value=value, extra=extra, seconds=seconds)


def run_student(args, spec, seed: int, step: str, start: float,
                teacher_key: str, teacher_digest: str) -> dict:
    """Train the student alone or distilled (``spec``) with ``seed`` in
    ``<work-dir>/seed_<seed>/<name>``, or reuse the finished run there;
    its row of the table (``cache_seconds``: the time spent making the
    teacher cache for it)."""
    name, config_file, label, short = spec
    config = osp.join(TASK.config_dir, config_file)
    several = len(args.seeds) > 1
    tag = f'{name} (seed {seed})' if several else name
    work_dir = osp.join(args.work_dir, f'seed_{seed}', name)
    teacher_ckpt = osp.join(args.work_dir, 'teacher', 'teacher.pth')
    options = common_options(args) + TASK.run_options(args, name) + [
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
            f'{TASK.metric_label} {record["value"]:.2f})',
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
        f'(configs/{osp.basename(TASK.config_dir)}/{config_file}) ...',
        flush=True)
    tic = time.time()
    value, extra = train(f'{name}@{seed}' if several else name, config,
                         work_dir, options, args,
                         config_epochs(config, args))
    seconds = time.time() - tic
    save_run(work_dir, key, value, extra, seconds)
    print(
        f'[{step}] {tag}: {TASK.metric_label} {value:.2f} in '
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
    start = time.time()
    os.makedirs(args.work_dir, exist_ok=True)
    students = [TASK.student] + [(m, ) + TASK.methods[m]
                                 for m in args.methods]
    total = 1 + len(args.seeds) * len(students)
    seeds_text = ', '.join(map(str, args.seeds))
    print(
        f'mmlogitkd quick start: {total} runs into {args.work_dir}' +
        (f' (students with seeds {seeds_text})'
         if len(args.seeds) > 1 else ''),
        flush=True)
    if TASK.prepare is not None:
        TASK.prepare(args.work_dir)
    rows = []
    try:
        if TASK.pretrain is not None:
            TASK.pretrain(args)
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
    results = seed_results(TASK.name, TASK.metric_name, args.seeds,
                           rows[0]['value'], values)
    table = markdown_table(results, rows)
    if TASK.report is not None:
        try:
            table += '\n\n' + TASK.report(args, rows)
        except RunFailed as e:
            print(f'\nERROR: {e}', file=sys.stderr, flush=True)
            return 1
    if not TASK.no_teacher_cache:
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
                  total_seconds, args.seeds)
    plot(results, rows, png)
    print('\n' + table + '\n')
    print(f'Total time {total_seconds:.0f} s. Table: {results_md}; '
          f'numbers: {results_json}; plot: {png}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
