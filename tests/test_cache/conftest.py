# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Shared set-up of the teacher-cache tests: the digits quick start shrunk
to 30 training images (batches of 8, 4 iterations an epoch), a quick-start
teacher with fixed random weights saved as ``teacher_ckpt``, and in-process
runs of ``tools/cache_teacher_logits.py`` and ``tools/train.py``."""
import importlib.util
import os.path as osp

import pytest
import torch

from mmlogitkd.apis import register_all_modules

register_all_modules()

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: the quick-start method config, shrunk; {method} is kd or sdd
CONFIG = """
_base_ = '{root}/configs/quickstart/{method}.py'
model = dict(teacher_ckpt='{teacher}')
train_dataloader = dict(batch_size=8, dataset=dict(train_per_class=3))
train_cfg = dict(max_epochs={epochs})
default_hooks = dict(logger=dict(interval=1))
log_level = 'WARNING'
{extra}
"""


def _tool(name):
    spec = importlib.util.spec_from_file_location(
        f'_cache_test_{name}', osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='session')
def tools():
    return _tool('cache_teacher_logits'), _tool('train')


@pytest.fixture(scope='session')
def teacher_ckpts(tmp_path_factory):
    """Two quick-start teachers (ResNet8x4) with different random weights."""
    from mmlogitkd.distillers import build_host_model
    folder = tmp_path_factory.mktemp('teachers')
    paths = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        teacher = build_host_model(
            dict(cfg_path='mmlogitkd::quickstart/models/teacher.py'),
            'teacher')
        path = str(folder / f'teacher{seed}.pth')
        torch.save(dict(state_dict=teacher.state_dict()), path)
        paths.append(path)
    return paths


@pytest.fixture(scope='session')
def make_config(tmp_path_factory, teacher_ckpts):
    folder = tmp_path_factory.mktemp('configs')
    count = [0]

    def make(method='kd', epochs=2, extra='', teacher=None):
        count[0] += 1
        path = folder / f'{method}_{count[0]}.py'
        path.write_text(
            CONFIG.format(
                root=ROOT,
                method=method,
                teacher=teacher or teacher_ckpts[0],
                epochs=epochs,
                extra=extra))
        return str(path)

    return make


@pytest.fixture(scope='session')
def cache_logits(tools):
    """Run the cache tool in process; returns its exit code."""
    tool = tools[0]

    def run(config, out, *args):
        return tool.main([config, '--out', str(out), '--no-progress', *args])

    return run


@pytest.fixture(scope='session')
def train(tools):
    """``tools/train.py`` in process (no validation); returns the final
    student weights."""
    train_tool = tools[1]

    def run(config, work_dir, *cfg_options, epochs):
        argv = [config, '--work-dir', str(work_dir), '--no-validate']
        if cfg_options:
            argv += ['--cfg-options', *cfg_options]
        try:
            train_tool.main(argv)
        finally:
            # the configs' randomness.deterministic is process-wide
            torch.use_deterministic_algorithms(False)
        state = torch.load(
            osp.join(work_dir, f'epoch_{epochs}.pth'),
            map_location='cpu',
            weights_only=False)['state_dict']
        return {k: v for k, v in state.items() if k.startswith('student.')}

    return run


@pytest.fixture(scope='session')
def sdd_cache(tmp_path_factory, make_config, cache_logits):
    """An fp32 cache of 2 epochs made with the SDD config (logits and the
    2x2 + 1x1 cell logits), shared by the tests."""
    out = tmp_path_factory.mktemp('cache') / 'sdd_fp32'
    assert cache_logits(make_config('sdd'), out, '--epochs', '2', '--dtype',
                        'fp32') == 0
    return out
