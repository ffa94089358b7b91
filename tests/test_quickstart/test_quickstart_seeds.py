# Copyright (c) mmlogitkd contributors. All rights reserved.
"""tools/quickstart.py --seeds: the statistics of results.json against an
independent computation, its schema, the paired gain, the option's checks,
and the reuse of finished runs (tools/train.py replaced by a stand-in)."""
import importlib.util
import json
import math
import os
import os.path as osp
import statistics

import numpy as np
import pytest

from mmlogitkd.apis.quickstart.report import mean_se, seed_results, write_json
from mmlogitkd.apis.quickstart.runs import RUN_RECORD, TEACHER_SEED

pytest.importorskip('matplotlib')

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(ROOT, 'tools', 'quickstart.py')


@pytest.fixture
def tool():
    # a fresh module per test: the tests replace its train()
    spec = importlib.util.spec_from_file_location('quickstart_tool', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------- statistics
def test_mean_se_by_hand():
    # 70, 80, 90: mean 80, deviations -10, 0, 10, sample variance
    # (100 + 0 + 100) / (3 - 1) = 100, SD 10, SE 10 / sqrt(3)
    mean, se = mean_se([70., 80., 90.])
    assert mean == 80.
    assert se == pytest.approx(10. / math.sqrt(3.), rel=1e-15)
    # one value: no SE
    assert mean_se([42.5]) == (42.5, None)


def test_mean_se_against_numpy():
    values = np.random.default_rng(0).normal(75., 6., size=5)
    mean, se = mean_se(values.tolist())
    assert mean == pytest.approx(values.mean(), rel=1e-12)
    assert se == pytest.approx(
        values.std(ddof=1) / np.sqrt(len(values)), rel=1e-12)
    assert se == pytest.approx(
        statistics.stdev(values.tolist()) / math.sqrt(5), rel=1e-12)


def _example(tool, seeds=(0, 1, 2)):
    student = {0: 60., 1: 80., 2: 70.}
    kd = {0: 62., 1: 83., 2: 71.}  # gains 2, 3, 1
    dkd = {0: 70., 1: 78., 2: 75.}  # gains 10, -2, 5
    values = {
        'student': {s: student[s]
                    for s in seeds},
        'kd': {s: kd[s]
               for s in seeds},
        'dkd': {s: dkd[s]
                for s in seeds}
    }
    return seed_results('cls', 'top-1', list(seeds), 97.5, values)


def test_results_schema(tool, tmp_path):
    path = str(tmp_path / 'results.json')
    write_json(_example(tool), path)
    with open(path) as f:
        results = json.load(f)
    assert set(results) == {'task', 'metric', 'seeds', 'runs'}
    assert results['task'] == 'cls' and results['metric'] == 'top-1'
    assert results['seeds'] == [0, 1, 2]
    runs = results['runs']
    assert list(runs) == ['teacher', 'student', 'kd', 'dkd']
    # the teacher: one run, seed 0, per_seed only
    assert runs['teacher'] == {'per_seed': {'0': 97.5}}
    assert set(runs['student']) == {'per_seed', 'mean', 'se'}
    for name in ('kd', 'dkd'):
        assert set(runs[name]) == {'per_seed', 'mean', 'se', 'gain'}
        assert set(runs[name]['gain']) == {'mean', 'se'}
    for name in ('student', 'kd', 'dkd'):
        run = runs[name]
        assert list(run['per_seed']) == ['0', '1', '2']  # JSON keys: str
        assert all(isinstance(v, float) for v in run['per_seed'].values())
        assert isinstance(run['mean'], float) and isinstance(run['se'], float)
        values = list(run['per_seed'].values())
        assert run['mean'] == pytest.approx(statistics.fmean(values))
        assert run['se'] == pytest.approx(
            statistics.stdev(values) / math.sqrt(3))
    assert runs['student']['per_seed'] == {'0': 60., '1': 80., '2': 70.}


def test_results_schema_one_seed(tool):
    results = json.loads(json.dumps(_example(tool, seeds=(1, ))))
    assert results['seeds'] == [1]
    runs = results['runs']
    assert runs['teacher'] == {'per_seed': {'0': 97.5}}
    assert runs['student'] == {'per_seed': {'1': 80.}, 'mean': 80., 'se': None}
    assert runs['kd'] == {
        'per_seed': {'1': 83.},
        'mean': 83.,
        'se': None,
        'gain': {'mean': 3., 'se': None}
    }


def test_gain_is_paired(tool):
    runs = _example(tool)['runs']
    # KD gains 2, 3, 1 over the student of the same seed: mean 2, SD 1
    assert runs['kd']['gain']['mean'] == pytest.approx(2.)
    assert runs['kd']['gain']['se'] == pytest.approx(1. / math.sqrt(3.))
    # not the SE of a difference of two independent means, which the
    # seed-to-seed swing of the student (60 / 80 / 70) would swamp
    unpaired = math.hypot(runs['kd']['se'], runs['student']['se'])
    assert unpaired > 10. * runs['kd']['gain']['se']
    # and the mean gain is the difference of the means (paired or not)
    assert runs['kd']['gain']['mean'] == pytest.approx(
        runs['kd']['mean'] - runs['student']['mean'])
    # DKD: gains 10, -2, 5, the SE of those
    gains = [10., -2., 5.]
    assert runs['dkd']['gain']['mean'] == pytest.approx(statistics.fmean(gains))
    assert runs['dkd']['gain']['se'] == pytest.approx(
        np.std(gains, ddof=1) / np.sqrt(3))


# ------------------------------------------------------------------ option
def test_seeds_default_and_order(tool):
    assert tool.parse_args([]).seeds == [0]
    assert tool.parse_args(['--seeds', '2,0, 1']).seeds == [0, 1, 2]
    assert tool.parse_args(['--seeds', '4']).seeds == [4]


@pytest.mark.parametrize('text, message', [
    ('0,,1', 'empty seed'),
    ('-1', 'out of range'),
    ('0,-3', 'out of range'),
    (str(2**32), 'out of range'),
    ('0,1,0', 'seed 0 is given twice'),
    ('0,x', "'x' is not an integer seed"),
    ('', 'empty seed'),
])
def test_seeds_refused(tool, capsys, text, message):
    with pytest.raises(SystemExit) as info:
        tool.parse_args([f'--seeds={text}'])
    assert info.value.code == 2  # argparse's usage error
    err = capsys.readouterr().err
    assert 'argument --seeds' in err and message in err


def test_teacher_configs_use_the_teacher_seed(tool):
    from mmengine.config import Config
    for task in tool.TASKS.values():
        cfg = Config.fromfile(osp.join(task.config_dir, task.teacher[1]))
        assert cfg.randomness.seed == TEACHER_SEED


def test_seeds_do_not_key_the_teacher(tool, tmp_path):
    key = tool.teacher_cache_key(tool.parse_args(['--work-dir', str(tmp_path)]))
    assert key == tool.teacher_cache_key(
        tool.parse_args(['--work-dir',
                         str(tmp_path), '--seeds', '1,2,3']))


# ------------------------------------------------------------- the runs
class FakeTrain:
    """Stands in for ``train`` (a ``tools/train.py`` subprocess): records
    each call and returns a value made from the run and its seed."""

    BASE = {'teacher.py': 97., 'student.py': 70., 'kd.py': 80.,
            'dkd.py': 85.}

    def __init__(self, det=False):
        self.calls = []
        self.det = det

    def __call__(self, name, config, work_dir, options, args, max_epochs):
        opts = dict(o.split('=', 1) for o in options)
        seed = int(opts.get('randomness.seed', 0))
        self.calls.append((osp.basename(config), seed, work_dir, opts))
        value = self.BASE[osp.basename(config)] + seed
        return value, (value / 2 if self.det else None)


def _cached_teacher(tool, work_dir, argv, weight=0.):
    """A valid cached teacher in ``work_dir`` for ``argv``."""
    import torch
    args = tool.parse_args(argv)
    teacher_dir = osp.join(str(work_dir), 'teacher')
    os.makedirs(teacher_dir, exist_ok=True)
    torch.save({'state_dict': {'w': torch.full((1, ), weight)}},
               osp.join(teacher_dir, 'teacher.pth'))
    with open(osp.join(teacher_dir, 'teacher.json'), 'w') as f:
        json.dump(dict(key=tool.teacher_cache_key(args), top1=96.5,
                       seconds=1.), f)


def _trained(fake):
    return sorted((config, seed) for config, seed, _, _ in fake.calls)


def test_extra_seed_reuses_finished_runs(tool, tmp_path, monkeypatch,
                                         capsys):
    argv = ['--epochs', '1', '--methods', 'kd', '--work-dir', str(tmp_path)]
    _cached_teacher(tool, tmp_path, argv)
    fake = FakeTrain()
    monkeypatch.setattr(tool, 'train', fake)

    assert tool.main(argv + ['--seeds', '0,1']) == 0
    assert _trained(fake) == [('kd.py', 0), ('kd.py', 1), ('student.py', 0),
                              ('student.py', 1)]
    # a folder per run and seed
    work_dirs = {(c, s): w for c, s, w, _ in fake.calls}
    assert work_dirs[('kd.py', 1)] == osp.join(str(tmp_path), 'seed_1', 'kd')
    assert len(set(work_dirs.values())) == 4
    assert all(osp.isfile(osp.join(w, RUN_RECORD))
               for w in work_dirs.values())

    # one more seed: only its runs train
    fake.calls.clear()
    assert tool.main(argv + ['--seeds', '0,1,2']) == 0
    assert _trained(fake) == [('kd.py', 2), ('student.py', 2)]
    out = capsys.readouterr().out
    assert '[2/7] student (seed 0): finished run reused' in out
    assert '[7/7] kd (seed 2): test top-1 (%) 82.00' in out
    with open(tmp_path / 'results.json') as f:
        results = json.load(f)
    assert results['seeds'] == [0, 1, 2]
    assert results['runs']['teacher'] == {'per_seed': {'0': 96.5}}
    assert results['runs']['student']['per_seed'] == {
        '0': 70., '1': 71., '2': 72.}
    assert results['runs']['kd']['gain'] == {'mean': 10., 'se': 0.}
    # the table: mean +- SE, the paired gain, the seeds
    table = (tmp_path / 'results.md').read_text(encoding='utf-8')
    assert '| kd | KD | 81.00 ± 0.58 | +10.00 ± 0.00 | 80.00 / 81.00 / ' \
        '82.00 |' in table
    assert '(seed 0 only)' in table
    assert (tmp_path / 'quickstart.png').read_bytes()[:4] == b'\x89PNG'

    # nothing new: nothing trains; --retrain-students trains them all
    fake.calls.clear()
    assert tool.main(argv + ['--seeds', '1']) == 0
    assert fake.calls == []
    assert tool.main(argv + ['--seeds', '1', '--retrain-students']) == 0
    assert _trained(fake) == [('kd.py', 1), ('student.py', 1)]

    # other teacher weights: the distilled runs train again, not the
    # student alone
    _cached_teacher(tool, tmp_path, argv, weight=1.)
    fake.calls.clear()
    assert tool.main(argv + ['--seeds', '0']) == 0
    assert _trained(fake) == [('kd.py', 0)]


def test_one_seed_table_is_unchanged(tool, tmp_path, monkeypatch, capsys):
    argv = ['--epochs', '1', '--methods', 'kd,dkd', '--work-dir',
            str(tmp_path), '--seeds', '3']
    _cached_teacher(tool, tmp_path, argv)
    monkeypatch.setattr(tool, 'train', FakeTrain())
    assert tool.main(argv) == 0
    out = capsys.readouterr().out
    assert '[2/4] student: test top-1 (%) 73.00' in out  # no seed in the line
    table = (tmp_path / 'results.md').read_text(encoding='utf-8')
    lines = [ln for ln in table.splitlines() if ln.startswith('|')]
    assert lines[0] == ('| run | method | test top-1 (%) | vs student alone '
                        '| time (s) |')
    assert lines[1] == '|---|---|---:|---:|---:|'
    assert lines[2] == ('| teacher | teacher alone (ResNet8x4) | 96.50 |  | '
                        'cached (1.0) |')
    # (as before --seeds: the student's own row says +0.00)
    assert lines[3].startswith('| student | student alone (narrow ResNet8) '
                               '| 73.00 | +0.00 | ')
    assert lines[4].startswith('| kd | KD | 83.00 | +10.00 | ')
    assert lines[5].startswith('| dkd | DKD | 88.00 | +15.00 | ')
    assert '±' not in table
    results = json.loads((tmp_path / 'results.json').read_text())
    assert results['seeds'] == [3]
    assert results['runs']['kd']['gain'] == {'mean': 10., 'se': None}


def test_teacher_cache_per_seed(tool, tmp_path, monkeypatch):
    """--teacher-cache: one logits cache per seed (it replays the seed's
    augmentation), made only for runs that train."""
    argv = ['--epochs', '1', '--methods', 'kd', '--work-dir', str(tmp_path),
            '--teacher-cache']
    _cached_teacher(tool, tmp_path, argv)
    fake = FakeTrain()
    monkeypatch.setattr(tool, 'train', fake)
    made = []

    def make_cache(args, teacher_ckpt, out, seed):
        made.append((out, seed))
        os.makedirs(out, exist_ok=True)
        with open(osp.join(out, 'meta.json'), 'w') as f:
            json.dump({'complete': True}, f)
        return 2.

    monkeypatch.setattr(tool, 'make_teacher_cache', make_cache)
    assert tool.main(argv + ['--seeds', '0,1']) == 0
    assert [seed for _, seed in made] == [0, 1]
    assert made[0][0] != made[1][0]
    kd = {seed: (w, opts) for c, seed, w, opts in fake.calls if c == 'kd.py'}
    for seed, (out, _) in zip((0, 1), made):
        assert kd[seed][0] == osp.join(str(tmp_path), f'seed_{seed}',
                                       'kd-cached')
        assert kd[seed][1]['model.teacher_cache'] == out
    assert tool.main(argv + ['--seeds', '0,1']) == 0
    assert len(made) == 2  # both reused
    timings = json.loads((tmp_path / 'timings.json').read_text())
    assert len(timings['cached']) == 2  # a key per seed


def test_det_seeds(tool, tmp_path, monkeypatch):
    """The same for detection: bbox AP in results.json, AP50 beside it in
    the table, the data options on every run."""
    argv = ['--task', 'det', '--iters', '2', '--methods', 'kd',
            '--work-dir', str(tmp_path)]
    _cached_teacher(tool, tmp_path, argv)
    # neither the canvases nor the pretrained backbones are needed here
    monkeypatch.setattr(tool.TASKS['det'], 'prepare', None)
    monkeypatch.setattr(tool.TASKS['det'], 'pretrain', None)
    fake = FakeTrain(det=True)
    monkeypatch.setattr(tool, 'train', fake)
    assert tool.main(argv + ['--seeds', '0,1']) == 0
    assert _trained(fake) == [('kd.py', 0), ('kd.py', 1), ('student.py', 0),
                              ('student.py', 1)]
    data = osp.join(str(tmp_path), 'data') + '/'
    assert all(opts['train_dataloader.dataset.data_root'] == data
               for _, _, _, opts in fake.calls)
    results = json.loads((tmp_path / 'results.json').read_text())
    assert results['task'] == 'det' and results['metric'] == 'bbox AP'
    assert results['runs']['kd']['per_seed'] == {'0': 80., '1': 81.}
    table = (tmp_path / 'results.md').read_text(encoding='utf-8')
    assert ('| run | method | val bbox AP (%), mean ± SE | AP50 (%), mean ± '
            'SE | vs student alone, paired mean ± SE | per seed (0 / 1) '
            '| time (s) |') in table
    assert '| kd | KD | 80.50 ± 0.50 | 40.25 ± 0.25 | +10.00 ± 0.00 |' in table
