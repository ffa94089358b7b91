# Copyright (c) mmlogitkd contributors. All rights reserved.
"""``tools/dist_train.sh`` as the multi-rank CPU tests run it (importable as
``dist_launch``: pytest puts ``tests/`` on ``sys.path``)."""
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def run_dist_train(config, work_dir, *args, nproc=2, port=29500,
                   pythonpath=(), env=None, timeout=900):
    """``bash tools/dist_train.sh CONFIG NPROC --work-dir WORK_DIR *ARGS``
    from the repository root, with this interpreter.

    The master port is ``port`` plus the test process id mod 1000, so that
    concurrent test sessions do not meet; ``pythonpath`` folders come before
    the repository's (custom hooks); ``env`` adds variables. Fails with the
    end of the log unless the launch exits 0 and trained distributed.

    Returns:
        str: stdout and stderr of the launch.
    """
    run_env = dict(os.environ, PYTHON=sys.executable,
                   PORT=str(port + os.getpid() % 1000), **(env or {}))
    run_env['PYTHONPATH'] = os.pathsep.join(
        [*pythonpath, ROOT, os.environ.get('PYTHONPATH', '')])
    result = subprocess.run(
        ['bash', 'tools/dist_train.sh', str(config), str(nproc),
         '--work-dir', str(work_dir), *args],
        capture_output=True, text=True, env=run_env, timeout=timeout,
        cwd=ROOT)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-6000:]
    assert 'Distributed training: True' in log, log[-3000:]
    return log
