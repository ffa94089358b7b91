# Copyright (c) mmlogitkd contributors. All rights reserved.
"""tools/quickstart.py: a 1-epoch smoke run of teacher, student and KD
with two seeds through tools/train.py, then its table, results.md,
results.json and plot."""
import importlib.util
import json
import os
import os.path as osp
import re
import subprocess
import sys
import types

import pytest

pytest.importorskip('sklearn')
pytest.importorskip('matplotlib')

from mmlogitkd.apis.quickstart.runs import (  # noqa: E402
    RunFailed,
    read_top1,
    run_env,
    timestamp_dirs,
)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(ROOT, 'tools', 'quickstart.py')


def _load_tool():
    spec = importlib.util.spec_from_file_location('quickstart_tool', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def tool():
    return _load_tool()


@pytest.fixture(scope='module')
def smoke_run(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('quickstart')
    proc = subprocess.run(
        [
            sys.executable, SCRIPT, '--epochs', '1', '--methods', 'kd',
            '--seeds', '0,1', '--work-dir',
            str(work_dir)
        ],
        cwd=str(work_dir),
        capture_output=True,
        text=True,
        timeout=600)
    return proc, work_dir


def _table_rows(text):
    return {
        m.group(1): float(m.group(2))
        # the value, or the mean of 'mean ± SE'
        for m in re.finditer(r'^\| (\w+) \| [^|]+ \| ([\d.]+)(?: ± [\d.]+)? \|',
                             text, re.M)
    }


@pytest.mark.e2e
def test_smoke_run(smoke_run):
    proc, work_dir = smoke_run
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    # progress: a line per run (the students once per seed), with the
    # runner's epoch lines
    runs = ('teacher', 'student (seed 0)', 'kd (seed 0)', 'student (seed 1)',
            'kd (seed 1)')
    for i, name in enumerate(runs, 1):
        assert f'[{i}/5] {name}: test top-1' in out
    assert 'Epoch(train)' in out and 'Epoch(val)' in out
    for seed in (0, 1):
        for name in ('student', 'kd'):
            assert (work_dir / f'seed_{seed}' / name / 'quickstart_run.json'
                    ).is_file()

    # the table: the teacher's top-1, the students' means over the seeds
    rows = _table_rows(out)
    assert set(rows) == {'teacher', 'student', 'kd'}
    assert all(0. <= acc <= 100. for acc in rows.values())
    assert '±' in out
    results = (work_dir / 'results.md').read_text(encoding='utf-8')
    assert _table_rows(results) == rows

    numbers = json.loads((work_dir / 'results.json').read_text())
    assert numbers['task'] == 'cls' and numbers['metric'] == 'top-1'
    assert numbers['seeds'] == [0, 1]
    runs = numbers['runs']
    assert rows['teacher'] == pytest.approx(
        runs['teacher']['per_seed']['0'], abs=0.005)
    for name in ('student', 'kd'):
        assert set(runs[name]['per_seed']) == {'0', '1'}
        assert rows[name] == pytest.approx(runs[name]['mean'], abs=0.005)
        assert runs[name]['se'] is not None
    gains = [runs['kd']['per_seed'][s] - runs['student']['per_seed'][s]
             for s in ('0', '1')]
    assert runs['kd']['gain']['mean'] == pytest.approx(sum(gains) / 2)
    png = work_dir / 'quickstart.png'
    assert png.is_file()
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'

    # the teacher is cached with its key, weights only
    teacher_dir = work_dir / 'teacher'
    meta = json.loads((teacher_dir / 'teacher.json').read_text())
    assert meta['top1'] == pytest.approx(rows['teacher'], abs=0.01)
    import torch
    ckpt = torch.load(
        teacher_dir / 'teacher.pth', map_location='cpu', weights_only=True)
    assert any(k.startswith('backbone.') for k in ckpt['state_dict'])


@pytest.mark.e2e
def test_teacher_cache(smoke_run, tool):
    proc, work_dir = smoke_run
    assert proc.returncode == 0
    teacher_dir = str(work_dir / 'teacher')
    args = tool.parse_args(['--epochs', '1', '--work-dir', str(work_dir)])
    assert tool.cached_teacher(teacher_dir,
                               tool.teacher_cache_key(args)) is not None
    # another schedule is another teacher; other seeds are students' only
    key = tool.teacher_cache_key(tool.parse_args(['--epochs', '2']))
    assert tool.cached_teacher(teacher_dir, key) is None
    key = tool.teacher_cache_key(
        tool.parse_args(['--epochs', '1', '--seeds', '3']))
    assert tool.cached_teacher(teacher_dir, key) is not None
    # the student's config does not key the teacher
    assert tool.teacher_cache_key(args) == tool.teacher_cache_key(
        tool.parse_args(['--epochs', '1', '--methods', 'dkd']))


def test_read_top1_takes_the_new_run(tmp_path, tool):
    old = tmp_path / '20240101_000000' / 'vis_data'
    old.mkdir(parents=True)
    (old / 'scalars.json').write_text('{"accuracy/top1": 10.0, "step": 1}\n')
    before = timestamp_dirs(str(tmp_path))
    with pytest.raises(RunFailed, match='no log folder'):
        read_top1(str(tmp_path), before, 'accuracy/top1', 1.)
    new = tmp_path / '20250101_000000' / 'vis_data'
    new.mkdir(parents=True)
    (new / 'scalars.json').write_text(
        '{"loss": 1.0, "step": 7}\n'
        '{"accuracy/top1": 87.5, "step": 1}\n')
    assert read_top1(str(tmp_path), before, 'accuracy/top1', 1.) == 87.5
    assert read_top1(str(tmp_path), before, 'accuracy/top1', 100.) == 8750.


@pytest.mark.e2e
def test_failing_run_is_reported(tmp_path, tool, capsys):
    args = types.SimpleNamespace(verbose=False, task=tool.TASKS['cls'])
    with pytest.raises(tool.RunFailed) as info:
        tool.train('broken', str(tmp_path / 'missing_config.py'),
                   str(tmp_path / 'broken'), [], args, 1)
    message = str(info.value)
    assert 'run "broken" failed' in message
    assert 'tools/train.py' in message  # the command
    assert 'missing_config.py' in message  # and the end of its log
    assert osp.isfile(tmp_path / 'broken' / 'quickstart_train.log')


def test_unknown_method_is_refused(tool):
    with pytest.raises(SystemExit):
        tool.parse_args(['--methods', 'kd,nope'])


def test_classification_runs_get_one_thread_unless_set(tool, monkeypatch):
    task = tool.parse_args([]).task
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    assert run_env(task)['OMP_NUM_THREADS'] == '1'
    monkeypatch.setenv('OMP_NUM_THREADS', '2')
    assert run_env(task)['OMP_NUM_THREADS'] == '2'


def test_quickstart_sh_runs_the_tool():
    with open(osp.join(ROOT, 'tools', 'quickstart.sh')) as f:
        sh = f.read()
    assert 'tools/install.sh' in sh and 'tools/quickstart.py' in sh
    assert os.access(osp.join(ROOT, 'tools', 'quickstart.sh'), os.X_OK)


def test_det_task_runs_its_own_configs_and_data(tool, tmp_path):
    args = tool.parse_args(['--task', 'det', '--work-dir', str(tmp_path),
                            '--iters', '3'])
    assert args.task.name == 'det'
    assert args.methods == list(tool.DET_METHODS)
    for _, (config, _, _) in tool.DET_METHODS.items():
        assert osp.isfile(osp.join(ROOT, 'configs', 'quickstart_det', config))
    opts = dict(o.split('=', 1) for o in tool.common_options(args))
    data = osp.join(str(tmp_path), 'data') + '/'
    assert opts['train_dataloader.dataset.data_root'] == data
    assert opts['val_evaluator.ann_file'] == (
        data + 'annotations/instances_val2017.json')
    assert opts['train_cfg.max_iters'] == '3'
    # COCO AP comes as a fraction: the table shows %
    assert args.task.metric == 'coco/bbox_mAP' and args.task.scale == 100.
    with pytest.raises(SystemExit):
        tool.parse_args(['--task', 'det', '--epochs', '2'])
    with pytest.raises(SystemExit):
        tool.parse_args(['--task', 'det', '--methods', 'rank'])
    assert tool.parse_args([]).task.name == 'cls'
