# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The quick starts' tasks: what each trains (configs, teacher, student,
methods), measures (the metric read from the runner's scalars) and does
around its runs (data made once, pretraining, what its table adds)."""
import os.path as osp
from collections import OrderedDict

from .det_stages import (
    det_data_options,
    det_pretrain,
    det_report,
    det_run_options,
    make_det_data,
)
from .runs import ROOT

__all__ = ['Task', 'TASKS', 'METHODS', 'DET_METHODS', 'REID_METHODS']

# name -> (config file, label in the table, label in the plot)
TEACHER = ('teacher', 'teacher.py', 'teacher alone (ResNet8x4)', 'teacher')
STUDENT = ('student', 'student.py', 'student alone (narrow ResNet8)',
           'student')
DET_TEACHER = ('teacher', 'teacher.py',
               'teacher alone (Faster R-CNN R-18 FPN)', 'teacher')
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


def make_reid_data(args) -> None:
    """Write the Market-1501-format digits into ``<work-dir>/data``
    (once)."""
    from mmlogitkd.datasets.digits_market1501 import make_digits_market1501
    print('making the Market-1501-format digits (once) ...', flush=True)
    make_digits_market1501(osp.join(args.work_dir, 'data'))


class Task:
    """One quick start: its configs and runs, the metric read from the
    runner's scalars (``metric``; ``scale`` turns it into %), its name in
    ``results.json`` (``metric_name``), how the schedule is shortened, the
    data it makes once (``prepare(args)``) and points the runs at
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
