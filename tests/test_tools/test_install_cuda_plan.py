# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The GPU branch of tools/install.sh without a GPU: the settings of
tools/mmcv_cuda_plan.py for the situations a GPU machine meets, its source
fix on an sdist-like tree, and install.sh's dry run."""
import importlib.util
import os
import os.path as osp
import stat
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
spec = importlib.util.spec_from_file_location(
    'mmcv_cuda_plan', osp.join(ROOT, 'tools', 'mmcv_cuda_plan.py'))
plan_mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(plan_mod)
plan, PlanError = plan_mod.plan, plan_mod.PlanError

# what `nvcc --list-gpu-arch` lists for two toolkits
CUDA_12_4 = [(5, 0), (5, 2), (5, 3), (6, 0), (6, 1), (6, 2), (7, 0), (7, 2),
             (7, 5), (8, 0), (8, 6), (8, 7), (8, 9), (9, 0)]
CUDA_13_0 = [(7, 5), (8, 0), (8, 6), (8, 7), (8, 8), (8, 9), (9, 0), (10, 0),
             (10, 3), (11, 0), (12, 0), (12, 1)]


def test_arch_list_from_the_visible_gpus():
    env, notes = plan([(9, 0)], (12, 8), CUDA_12_4 + [(10, 0), (12, 0)],
                      '12.8', cpus=16, mem_gb=120.0, env={})
    assert env == dict(TORCH_CUDA_ARCH_LIST='9.0', MAX_JOBS=16)
    assert any('sm_90' in n for n in notes)
    assert any('C++17' in n and 'THC' in n for n in notes)
    env, _ = plan([(8, 6), (8, 0), (8, 6)], (13, 0), CUDA_13_0, '13.0',
                  cpus=8, mem_gb=64.0, env={})
    assert env['TORCH_CUDA_ARCH_LIST'] == '8.0;8.6'


def test_gpu_newer_than_the_toolkit_gets_ptx():
    env, notes = plan([(12, 0)], (12, 4), CUDA_12_4, '12.4', cpus=4,
                      mem_gb=32.0, env={})
    assert env['TORCH_CUDA_ARCH_LIST'] == '9.0+PTX'
    assert any('JIT' in n for n in notes)


def test_max_jobs_by_memory_and_override():
    env, _ = plan([(9, 0)], (12, 8), None, '12.8', cpus=64, mem_gb=20.0,
                  env={})
    assert env['MAX_JOBS'] == 8  # 20 GB / 2.5 GB per nvcc job
    env, _ = plan([(9, 0)], (12, 8), None, '12.8', cpus=2, mem_gb=1.0,
                  env={})
    assert env['MAX_JOBS'] == 1
    env, notes = plan([(9, 0)], (12, 8), None, '12.8', cpus=64,
                      mem_gb=20.0, env=dict(MAX_JOBS='3'))
    assert env['MAX_JOBS'] == 3 and 'MAX_JOBS=3 (yours)' in notes


def test_user_arch_list_is_kept_or_refused():
    env, _ = plan([], (13, 0), CUDA_13_0, '13.0', cpus=4, mem_gb=None,
                  env=dict(TORCH_CUDA_ARCH_LIST='8.0 9.0+PTX'))
    assert env['TORCH_CUDA_ARCH_LIST'] == '8.0;9.0+PTX'
    env, _ = plan([], (13, 0), CUDA_13_0, '13.0', cpus=4, mem_gb=None,
                  env=dict(TORCH_CUDA_ARCH_LIST='Hopper'))
    assert env['TORCH_CUDA_ARCH_LIST'] == 'Hopper'
    # CUDA 13 dropped sm_50 .. sm_72: torch's long default list fails there
    with pytest.raises(PlanError, match='cannot build 7.0'):
        plan([], (13, 0), CUDA_13_0, '13.0', cpus=4, mem_gb=None,
             env=dict(TORCH_CUDA_ARCH_LIST='7.0;8.0'))


@pytest.mark.parametrize('args,match', [
    (([(9, 0)], (12, 8), CUDA_12_4, None), 'CPU build'),
    (([(9, 0)], None, None, '12.8'), 'nvcc not found'),
    (([(9, 0)], (11, 8), CUDA_12_4, '12.8'), 'major'),
    (([], (12, 8), CUDA_12_4, '12.8'), 'no GPU is visible'),
])
def test_refusals_come_before_the_build(args, match):
    with pytest.raises(PlanError, match=match):
        plan(*args, cpus=4, mem_gb=16.0, env={})


def test_minor_version_mismatch_is_a_note():
    _, notes = plan([(9, 0)], (12, 6), CUDA_12_4 + [(10, 0)], '12.8',
                    cpus=4, mem_gb=16.0, env={})
    assert any('same major version' in n for n in notes)


def test_source_fix(tmp_path):
    for rel, old, _ in plan_mod.SOURCE_FIXES:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f'#include <ATen/ATen.h>\n{old}\nint x;\n')
    plan_mod.fix_sources(str(tmp_path))
    for rel, old, new in plan_mod.SOURCE_FIXES:
        text = (tmp_path / rel).read_text()
        assert new in text and old not in text
    plan_mod.fix_sources(str(tmp_path))  # again: already fixed, no error
    (tmp_path / 'mmcv/ops/csrc/pytorch/cuda/other.cu').write_text(
        '#include <THC/THC.h>\n')
    with pytest.raises(PlanError, match='other.cu'):
        plan_mod.fix_sources(str(tmp_path))


def _install_dry_run(tmp_path, **env):
    """install.sh's dry run with a fake nvcc on PATH."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir(exist_ok=True)
    nvcc = bin_dir / 'nvcc'
    nvcc.write_text('#!/bin/sh\n'
                    'case "$1" in --list-gpu-arch) echo compute_80; '
                    'echo compute_90;; *) echo "Cuda compilation tools, '
                    'release 12.8, V12.8.61";; esac\n')
    nvcc.chmod(nvcc.stat().st_mode | stat.S_IEXEC)
    full = dict(os.environ)
    full.pop('FORCE_CUDA', None)
    full.pop('TORCH_CUDA_ARCH_LIST', None)
    full.update(MMLOGITKD_INSTALL_DRY_RUN='1', MMLOGITKD_PYTHON=sys.executable,
                PATH=f'{bin_dir}:{os.environ["PATH"]}', **env)
    return subprocess.run(['bash', osp.join(ROOT, 'tools', 'install.sh')],
                          capture_output=True, text=True, env=full,
                          timeout=120)


def test_install_dry_run_on_this_machine(tmp_path):
    import torch
    result = _install_dry_run(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == sys.executable
    if torch.cuda.is_available():
        assert 'CUDA ops' in result.stderr
    else:  # no GPU: the CPU build as before, nvcc or not
        assert 'would be built with CPU ops' in result.stderr
        assert 'TORCH_CUDA_ARCH_LIST' not in result.stderr


def test_install_dry_run_forced_cuda_build(tmp_path):
    import torch
    result = _install_dry_run(tmp_path, FORCE_CUDA='1',
                              TORCH_CUDA_ARCH_LIST='9.0')
    if torch.version.cuda is None:
        assert result.returncode == 1
        assert 'CPU build' in result.stderr
    else:
        assert result.returncode == 0, result.stderr
        assert "TORCH_CUDA_ARCH_LIST='9.0'" in result.stderr
