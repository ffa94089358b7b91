# Copyright (c) mmlogitkd contributors. All rights reserved.
"""tools/analysis/gpu_check.sh on CPU: the parts a GPU machine runs (parity,
syncs, the AMP run) work end to end, so the one GPU run is not the first."""
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(ROOT, 'tools', 'analysis', 'gpu_check.sh')


def run(args, tmp_path, timeout=300):
    # one thread: on a busy CI machine, OpenMP threads of tiny convolutions
    # waiting for each other cost 1000x
    env = dict(os.environ, MMLOGITKD_PYTHON=sys.executable,
               GPU_CHECK_LOG_DIR=str(tmp_path), OMP_NUM_THREADS='1')
    return subprocess.run(['bash', SCRIPT] + args, capture_output=True,
                          text=True, env=env, timeout=timeout, cwd=tmp_path)


def test_cpu_smoke_run(tmp_path):
    result = run(['--device', 'cpu', '--quick'], tmp_path)
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr[-2000:]
    table = out[out.index('GPU check summary'):]
    assert ' 0 failed' in table
    for check in ('KD (16, 20) float64', 'SDD(LDRLD) (16, 20) float64',
                  'soft_rank (32, 50) float32 vs float64',
                  'bfloat16 RankAlign l2', 'bfloat16 SDD(DKD)'):
        assert check in table, check
    # the sync counts: none, except soft_rank's two reads
    rows = [line for line in table.splitlines()
            if line.startswith('syncs') and 'expected' in line]
    assert len(rows) == 17  # 11 losses + 6 scale-decoupled
    assert 'ClsLogitDistiller.train_step rank' in table  # information
    for row in rows:
        expected = 2 if 'RankAlign' in row else 0
        assert f'host reads {expected} (expected {expected})' in row, row
    assert 'benchmarks' in table and 'skip' in table  # --quick
    logs = os.listdir(tmp_path)
    assert len(logs) == 1 and 'GPU check summary' in (
        tmp_path / logs[0]).read_text()


def test_refuses_a_missing_wheel_folder(tmp_path):
    result = run(['--wheels', str(tmp_path / 'nowhere')], tmp_path, 60)
    assert result.returncode == 2
    assert 'no folder' in result.stderr
