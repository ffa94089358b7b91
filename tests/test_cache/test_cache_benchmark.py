# Copyright (c) mmlogitkd contributors. All rights reserved.
"""benchmark_train_step.py --mode cached: a tiny smoke run (timings are
never asserted)."""
import importlib.util
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_cached_mode_runs(monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location(
        '_cache_test_bench',
        osp.join(ROOT, 'tools', 'analysis', 'benchmark_train_step.py'))
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    monkeypatch.setattr(sys, 'argv', [
        'bench', '--teacher', 'resnet8', '--student', 'resnet8', '--batch',
        '4', '--size', '16', '--classes', '10', '--iters', '1', '--rounds',
        '1', '--methods', 'kd,sdd_kd', '--mode', 'cached'
    ])
    bench.main()
    out = capsys.readouterr().out
    for row in ('| cached kd |', '| cached sdd_kd |', '| student alone |'):
        assert row in out
