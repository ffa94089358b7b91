# Copyright (c) mmlogitkd contributors. All rights reserved.
"""tools/quickstart.py --teacher-cache: option checks and the time-saved
report (the runs themselves are tools/train.py runs, tested elsewhere)."""
import importlib.util
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def quickstart():
    spec = importlib.util.spec_from_file_location(
        '_cache_test_quickstart', osp.join(ROOT, 'tools', 'quickstart.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_option(quickstart):
    assert quickstart.parse_args(['--teacher-cache']).teacher_cache
    with pytest.raises(SystemExit):
        quickstart.parse_args(['--teacher-cache', '--task', 'det'])


def test_time_saved(quickstart, tmp_path):
    rows = [dict(name='teacher', seconds=9.), dict(name='kd', seconds=30.),
            dict(name='sdd', seconds=40.)]
    timings = quickstart.record_timings(str(tmp_path), 'cached', 'k', [
        dict(r, seconds=r['seconds'] / 2) for r in rows])
    line = quickstart.time_saved(timings, 'k', ['kd', 'sdd'], 5.)
    assert 'without --teacher-cache' in line and '35 s' in line
    quickstart.record_timings(str(tmp_path), 'online', 'k', rows)
    timings = quickstart.record_timings(str(tmp_path), 'cached', 'k', [])
    assert 'teacher' not in timings['online']['k']
    line = quickstart.time_saved(timings, 'k', ['kd', 'sdd'], 5.)
    # 70 s online, 35 s cached + 5 s making the cache
    assert line.startswith('Time saved by the teacher cache: 30 s (43%)')
