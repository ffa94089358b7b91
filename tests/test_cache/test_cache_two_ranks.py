# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Two CPU ranks under ``tools/dist_train.sh`` train the same student from
a one-process cache as with the teacher in the loop, bit for bit: cache
rows are keyed by (seeded epoch, sample), whatever rank draws the sample."""
import os
import re

import pytest
import torch
from dist_launch import run_dist_train

# whole training runs (pytest.ini)
pytestmark = pytest.mark.e2e


def _dist_train(config, work_dir, *cfg_options, port):
    log = run_dist_train(config, work_dir, '--no-validate', '--cfg-options',
                         'log_level=INFO', *cfg_options, port=port,
                         env=dict(OMP_NUM_THREADS='1'), timeout=600)
    state = torch.load(work_dir / 'epoch_2.pth', map_location='cpu',
                       weights_only=False)['state_dict']
    return {k: v
            for k, v in state.items() if k.startswith('student.')}, log


@pytest.mark.skipif(not torch.distributed.is_available(),
                    reason='torch.distributed not built')
def test_two_ranks_from_a_one_process_cache(tmp_path, make_config,
                                            sdd_cache):
    config = make_config('kd', epochs=2)
    online, log = _dist_train(config, tmp_path / 'online', port=29700)
    cached, cached_log = _dist_train(config, tmp_path / 'cached',
                                     f'model.teacher_cache={sdd_cache}',
                                     port=29701)
    # the cached run did read the cache (its resolved config says so) and
    # both distilled: nonzero KD losses in their logs
    dumped = (tmp_path / 'cached' / os.path.basename(config)).read_text()
    assert str(sdd_cache) in dumped
    for text in (log, cached_log):
        losses = re.findall(r'loss_distill_kd: ([0-9.]+)', text)
        assert losses and any(float(v) > 0 for v in losses)
    assert online and online.keys() == cached.keys()
    differ = [k for k in online if not torch.equal(online[k], cached[k])]
    assert not differ, differ
