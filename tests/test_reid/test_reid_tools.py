# Copyright (c) mmlogitkd contributors. All rights reserved.
"""tools/train.py and tools/test.py on the LDRLD re-id config, pointed at a
tiny generated Market-1501; the student then goes back to torchreid."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from .conftest import ROOT, perturb_, torchreid_checkpoint

# whole training runs (pytest.ini)
pytestmark = pytest.mark.e2e

NUM_IDS = 751  # the config's

# The real config (751 identity logits; the tiny set uses the first few) with
# small models and images: a ResNet-18 teacher, crops of 64x32, P x K = 2 x 4
# identity batches, 2 epochs, evaluation each epoch.
CONFIG = """
_base_ = ['{root}/configs/ldrld/reid_r50_r18_market1501.py']
model = dict(
    student=dict(pretrained=None),
    teacher=dict(name='resnet18'),
    teacher_ckpt='{teacher_ckpt}')
meta_keys = ('img_path', 'pid', 'camid', 'is_query')
train_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(type='mmpretrain.Resize', scale=(32, 64)),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs', meta_keys=meta_keys)]
test_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(type='mmpretrain.Resize', scale=(32, 64)),
    dict(type='mmpretrain.PackInputs', meta_keys=meta_keys)]
train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    sampler=dict(_delete_=True, type='RandomIdentitySampler', batch_size=8,
                 num_instances=4),
    dataset=dict(data_root='{data}', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16, num_workers=0, persistent_workers=False,
    dataset=dict(data_root='{data}', pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=2, val_interval=1)
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=1, max_keep_ckpts=1, save_best=None))
randomness = dict(seed=0)
"""


def run(args):
    env = dict(os.environ, OMP_NUM_THREADS='1')  # see conftest.one_thread
    env['PYTHONPATH'] = os.pathsep.join([ROOT, env.get('PYTHONPATH', '')])
    result = subprocess.run([sys.executable] + args, capture_output=True,
                            text=True, env=env, cwd=ROOT, timeout=600)
    assert result.returncode == 0, (result.stdout[-3000:] +
                                    result.stderr[-5000:])
    return result.stdout + result.stderr


def test_train_test_and_export_to_torchreid(market_root, tmp_path):
    from torchreid.reid.models import build_model
    from torchreid.reid.utils import load_pretrained_weights

    # the teacher: a torchreid checkpoint, as torchreid writes it
    torch.manual_seed(0)
    teacher = perturb_(build_model('resnet18', NUM_IDS, pretrained=False,
                                   use_gpu=False))
    teacher_ckpt = torchreid_checkpoint(
        teacher, str(tmp_path / 'teacher'), data_parallel=True)
    config = tmp_path / 'reid_ldrld.py'
    config.write_text(
        CONFIG.format(
            root=ROOT,
            teacher_ckpt=teacher_ckpt,
            data=market_root))
    work = str(tmp_path / 'work')

    log = run(['tools/train.py', str(config), '--work-dir', work])
    assert 'loss_distill_ldrld' in log
    ckpt = osp.join(work, 'epoch_2.pth')
    scalars = glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))
    evals = [
        r for r in map(json.loads, Path(scalars[0]).read_text().splitlines())
        if 'reid/mAP' in r
    ]
    assert len(evals) == 2  # after each epoch
    assert {'reid/rank1', 'reid/rank5', 'reid/rank10', 'reid/rank20',
            'reid/mINP'} <= set(evals[-1])

    # tools/test.py: the student alone, same numbers as the last validation
    out = osp.join(work, 'metrics.json')
    run(['tools/test.py', str(config), ckpt, '--work-dir', work, '--out',
         out])
    metrics = json.loads(Path(out).read_text())
    for key in ('reid/mAP', 'reid/rank1', 'reid/rank5'):
        assert 0 <= metrics[key] <= 100
        assert abs(metrics[key] - evals[-1][key]) < 1e-3, key

    # the student, exported by the converter tool, loads into torchreid's
    # own network
    exported = str(tmp_path / 'student_torchreid.pth')
    run(['tools/model_converters/distill_to_student.py', ckpt, exported,
         '--config', str(config)])
    net = build_model('resnet18', NUM_IDS, pretrained=False, use_gpu=False)
    load_pretrained_weights(net, exported)
    full = torch.load(ckpt, weights_only=True)['state_dict']
    for k, v in net.state_dict().items():
        assert torch.equal(v, full[f'student.{k}']), k
    # the teacher in the distillation checkpoint is the one we gave it
    # the teacher is not stored, only its checksum
    from mmlogitkd.utils.checkpoint import state_dict_sha256
    assert not any(k.startswith('teacher.') for k in full)
    assert full._metadata['']['teacher_sha256'] == state_dict_sha256(
        teacher.state_dict())
