# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The re-identification quick start: its task entry, a teacher cache of
re-id identity logits (an fp32 cache trains the student bit for bit as the
teacher in the loop does), and one whole ``tools/quickstart.py --task
reid`` run at minimal size."""
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from mmlogitkd.apis.quickstart.runs import run_env

pytest.importorskip('sklearn')

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(ROOT, 'tools', 'quickstart.py')
#: 8 training identities x 2 cameras x 2 images: 32 crops, 4 batches of 8
TINY = dict(
    num_train_ids=8,
    num_test_ids=4,
    cameras_per_id=(2, 2),
    train_images_per_camera=(2, 2),
    num_distractors=2,
    num_junk=1)
#: a quick-start method config on the tiny set, 2 epochs
CONFIG = """
_base_ = '{root}/configs/quickstart_reid/{method}.py'
model = dict(teacher_ckpt='{teacher}')
train_dataloader = dict(batch_size=8, dataset=dict(data_root='{data}'))
val_dataloader = dict(dataset=dict(data_root='{data}'))
test_dataloader = dict(dataset=dict(data_root='{data}'))
train_cfg = dict(max_epochs=2)
default_hooks = dict(logger=dict(interval=1))
log_level = 'WARNING'
"""


@pytest.fixture(autouse=True)
def one_thread():
    """Small networks: one intra-op thread is fastest, and on a busy 2-core
    machine two threads stall each other (as tools/quickstart.py --task
    reid sets for its runs)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _tool(name, module_name):
    spec = importlib.util.spec_from_file_location(
        module_name, osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def tool():
    return _tool('quickstart', 'quickstart_tool')


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    """The tiny set, a random quick-start teacher saved as its checkpoint,
    and a config maker."""
    from mmlogitkd.apis import register_all_modules
    from mmlogitkd.datasets import make_digits_market1501
    from mmlogitkd.distillers import build_host_model
    register_all_modules()
    folder = tmp_path_factory.mktemp('reid_cache')
    data = make_digits_market1501(str(folder / 'data'), **TINY)['data_root']
    torch.manual_seed(1)
    teacher = build_host_model(
        dict(cfg_path='mmlogitkd::quickstart_reid/models/teacher.py'),
        'teacher')
    ckpt = str(folder / 'teacher.pth')
    torch.save(dict(state_dict=teacher.state_dict()), ckpt)

    def config(method):
        path = folder / f'{method}.py'
        path.write_text(
            CONFIG.format(root=ROOT, method=method, teacher=ckpt, data=data))
        return str(path)

    return config, folder


def _train(config, work_dir, *cfg_options):
    """``tools/train.py`` in process; the student's final weights."""
    train = _tool('train', '_cache_test_reid_train')
    argv = [config, '--work-dir', str(work_dir), '--no-validate']
    if cfg_options:
        argv += ['--cfg-options', *cfg_options]
    try:
        train.main(argv)
    finally:
        # the configs' randomness.deterministic is process-wide
        torch.use_deterministic_algorithms(False)
    state = torch.load(
        osp.join(work_dir, 'epoch_2.pth'), map_location='cpu',
        weights_only=False)['state_dict']
    return {k: v for k, v in state.items() if k.startswith('student.')}


def test_reid_task_entry(tool, tmp_path):
    args = tool.parse_args(['--task', 'reid', '--work-dir', str(tmp_path),
                            '--epochs', '1', '--teacher-cache'])
    task = args.task
    assert task.name == 'reid' and args.teacher_cache
    assert args.methods == list(tool.METHODS)
    for config, _, _ in task.methods.values():
        assert osp.isfile(osp.join(task.config_dir, config))
    assert (task.metric, task.metric_name) == ('reid/mAP', 'mAP')
    assert task.extra_metric == 'reid/rank1' and task.scale == 1.
    opts = dict(o.split('=', 1) for o in tool.common_options(args))
    data = osp.join(str(tmp_path), 'data')
    for loader in ('train', 'val', 'test'):
        assert opts[f'{loader}_dataloader.dataset.data_root'] == data
    # one intra-op thread, unless the caller set a number
    assert run_env(task)['OMP_NUM_THREADS'] == os.environ.get(
        'OMP_NUM_THREADS', '1')


@pytest.fixture(scope='module')
def reid_cache(tiny):
    """An fp32 cache of 2 epochs made by the SDD config (identity logits
    and the 1x1 + 2x2 cells of the identity classifier)."""
    config, folder = tiny
    tool = _tool('cache_teacher_logits', '_cache_test_reid_cache')
    cache = folder / 'cache'
    assert tool.main([
        config('sdd'), '--out',
        str(cache), '--no-progress', '--epochs', '2', '--dtype', 'fp32'
    ]) == 0
    return cache


@pytest.mark.e2e
def test_reid_student_from_cache_is_bit_identical(tiny, reid_cache):
    """The cache trains the SDD and the KD student exactly as the teacher
    in the loop does."""
    config, folder = tiny
    meta = json.loads((reid_cache / 'meta.json').read_text())
    assert meta['complete'] and meta['logits_shape'] == [2, 32, 200]
    assert meta['cells_shape'] == [2, 32, 200, 5]
    for method in ('sdd', 'kd'):
        online = _train(config(method), folder / f'{method}_online')
        cached = _train(config(method), folder / f'{method}_cached',
                        f'model.teacher_cache={reid_cache}')
        assert online.keys() == cached.keys()
        assert [k for k in online
                if not torch.equal(online[k], cached[k])] == []


def test_cached_reid_distiller_builds_no_teacher(tiny, reid_cache):
    from mmengine.config import Config

    from mmlogitkd.distillers.teacher_cache import TeacherCacheMismatch
    from mmlogitkd.registry import MODELS
    config, _ = tiny
    cfg = Config.fromfile(config('sdd'))
    cfg.model.teacher_cache = str(reid_cache)
    model = MODELS.build(cfg.model)
    assert model.teacher is None
    assert not any(k.startswith('teacher') for k in model.state_dict())
    # a run at other SDD scales is refused, naming the field
    cfg.model.sdd_scales = (1, 2, 4)
    with pytest.raises(TeacherCacheMismatch, match='sdd_scales'):
        MODELS.build(cfg.model)


@pytest.mark.e2e
def test_reid_quickstart_minimal(tmp_path):
    """``tools/quickstart.py --task reid`` for 1 epoch: the Market-1501
    folder, teacher, student alone and KD from a teacher cache; the table
    with mAP and rank-1, results.json, the plot."""
    proc = subprocess.run(
        [
            sys.executable, SCRIPT, '--task', 'reid', '--epochs', '1',
            '--methods', 'kd', '--teacher-cache', '--work-dir',
            str(tmp_path)
        ],
        cwd=str(tmp_path),
        capture_output=True,
        text=True,
        timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = tmp_path / 'data' / 'Market-1501-v15.09.15'
    assert {p.name for p in data.iterdir()} == {
        'bounding_box_train', 'query', 'bounding_box_test'
    }
    results = json.loads((tmp_path / 'results.json').read_text())
    assert results['task'] == 'reid' and results['metric'] == 'mAP'
    assert set(results['runs']) == {'teacher', 'student', 'kd'}
    assert 'gain' in results['runs']['kd']
    table = (tmp_path / 'results.md').read_text(encoding='utf-8')
    assert '| run | method | test mAP (%) | rank-1 (%) |' in table
    assert (tmp_path / 'seed_0' / 'kd-cached').is_dir()
    assert (tmp_path / 'quickstart.png').is_file()
