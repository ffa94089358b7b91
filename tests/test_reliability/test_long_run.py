# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Under load: a long run of many short epochs on two CPU ranks under
``tools/dist_train.sh``, with a checkpoint every other epoch and validation
every epoch, on the digits quick start. Both ranks end with the same
student, every kept checkpoint loads back into the distiller and holds that
student at its epoch, and no rank's memory grows from epoch to epoch."""
import json
import os
import os.path as osp
import sys

import pytest
import torch
from dist_launch import run_dist_train

from .conftest import HERE, ROOT

# whole training runs (pytest.ini)
pytestmark = pytest.mark.e2e

EPOCHS = 20

#: the digits KD quick start, shrunk: 4 images a class (40), batch 8 per
#: rank, so 3 iterations an epoch on each of the two ranks
LONG_RUN = """
_base_ = '{root}/configs/quickstart/kd.py'
custom_imports = dict(
    imports=['mmlogitkd.datasets.digits', 'reliability_hooks',
             'rank_dump_hook'],
    allow_failed_imports=False)
custom_hooks = [dict(type='MemoryTraceHook'), dict(type='RankDumpHook')]
model = dict(teacher_ckpt='{teacher_ckpt}')
train_dataloader = dict(batch_size=8, dataset=dict(train_per_class=4))
val_dataloader = dict(batch_size=32)
train_cfg = dict(max_epochs={epochs}, val_interval=1)
param_scheduler = [dict(type='CosineAnnealingLR', T_max={epochs},
                        by_epoch=True)]
default_hooks = dict(
    checkpoint=dict(interval=2, max_keep_ckpts=3, save_best=None),
    logger=dict(interval=1))
"""


def _memory(work, rank):
    with open(osp.join(work, f'memory_rank{rank}.json')) as f:
        return json.load(f)


@pytest.mark.skipif(not sys.platform.startswith('linux'),
                    reason='reads /proc/self/status')
@pytest.mark.skipif(not torch.distributed.is_available(),
                    reason='torch.distributed not built')
def test_long_two_rank_run(tmp_path):
    # a teacher file (random weights: the run tests the machinery, not
    # accuracy) that every rank and the checks below load
    from mmengine.config import Config

    from mmlogitkd.apis import register_all_modules
    from mmlogitkd.distillers import build_host_model
    from mmlogitkd.registry import MODELS
    from mmlogitkd.utils.checkpoint import load_checkpoint_file
    register_all_modules()
    teacher_ckpt = tmp_path / 'teacher.pth'
    config = tmp_path / 'long_run.py'
    config.write_text(
        LONG_RUN.format(root=ROOT, epochs=EPOCHS, teacher_ckpt=teacher_ckpt))
    cfg = Config.fromfile(str(config), import_custom_modules=False)
    teacher = build_host_model(cfg.model.teacher, 'teacher', 'mmpretrain')
    torch.save(dict(state_dict=teacher.state_dict()), teacher_ckpt)
    work = tmp_path / 'work'
    tools_tests = osp.join(ROOT, 'tests', 'test_tools')  # rank_dump_hook
    log = run_dist_train(config, work, port=29600,
                         pythonpath=(HERE, tools_tests),
                         env=dict(OMP_NUM_THREADS='1'))
    assert log.count('Epoch(val)') >= EPOCHS

    # the same student on both ranks at the end
    rank0 = torch.load(work / 'rank0.pth', weights_only=True)
    rank1 = torch.load(work / 'rank1.pth', weights_only=True)
    assert rank0.keys() == rank1.keys() and rank0
    for k in rank0:
        torch.testing.assert_close(rank0[k], rank1[k], rtol=0, atol=0,
                                   msg=k)

    # the kept checkpoints (max_keep_ckpts=3 of the 10 written) load back
    # into the distiller through the safe loader; the last one is the
    # ranks' student, the earlier ones differ from it (it trained)
    kept = sorted(int(name[len('epoch_'):-len('.pth')])
                  for name in os.listdir(work)
                  if name.startswith('epoch_') and name.endswith('.pth'))
    assert kept == list(range(EPOCHS - 4, EPOCHS + 1, 2))
    assert (work / 'last_checkpoint').read_text().strip().endswith(
        f'epoch_{EPOCHS}.pth')
    model = MODELS.build(cfg.model)
    for epoch in kept:
        ckpt = load_checkpoint_file(str(work / f'epoch_{epoch}.pth'))
        assert ckpt['meta']['epoch'] == epoch
        missing, unexpected = model.load_state_dict(ckpt['state_dict'],
                                                    strict=False)
        assert not unexpected and not [
            k for k in missing if not k.startswith('teacher.')
        ], (missing, unexpected)
        params = dict(model.named_parameters())
        same = all(torch.equal(params[k], v) for k, v in rank0.items())
        assert same == (epoch == EPOCHS), epoch

    # memory: after the first epochs (allocator and caches warming up), no
    # epoch's peak resident memory exceeds the early epochs' by more than
    # a margin far below what a per-epoch leak of this run's tensors (a
    # batch of activations, a checkpoint, a dataset copy) adds over 15
    # epochs
    margin_kib = 24 * 1024
    for rank in (0, 1):
        memory = _memory(work, rank)
        trace = memory['trace']
        assert [t['epoch'] for t in trace] == list(range(EPOCHS))
        key = 'peak_kib' if memory['resettable'] else 'rss_kib'
        early = max(t[key] for t in trace[2:5])
        late = max(t[key] for t in trace[5:])
        assert late <= early + margin_kib, (rank, key, trace)
        rss_early = max(t['rss_kib'] for t in trace[2:5])
        assert trace[-1]['rss_kib'] <= rss_early + margin_kib, (rank, trace)
        print(f'rank {rank} ({key}, MiB):',
              [round(t[key] / 1024) for t in trace])
