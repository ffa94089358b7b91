# Copyright (c) mmlogitkd contributors. All rights reserved.
"""No host synchronisation in a training step, checked without a GPU.

A GPU waits for the host whenever a value is read back (``.item()``, an
``if`` on a tensor, ``.tolist()``, ``nonzero``, boolean-mask indexing, ...).
Two complementary checks:

- :func:`mmlogitkd.testing.host_reads`: a ``TorchDispatchMode`` that sees
  every ATen op of the forward and the backward and counts the reads (or
  raises) on CPU tensors exactly as they would sync on CUDA (its own tests:
  ``tests/test_testing/test_host_reads.py``);
- the ``meta`` device: tensors without data, where any read raises and every
  ``device.type == 'cpu'`` branch (the numpy sort paths) is *not* taken,
  i.e. the code path a CUDA tensor takes.

Every loss of the core is sync-free except ``soft_rank`` (hence
``RankAlignLoss``), which reads the device a bounded number of times per
call: 2 for realistic logits, at most ``2 + log2(n + 1)`` for any input.
"""
import math

import pytest
import torch

from mmlogitkd.losses import soft_rank
from mmlogitkd.registry import MODELS
from mmlogitkd.testing import HostRead, host_reads


def _ranks():
    return [dict(type='RankAlignLoss'), dict(type='RankAlignLoss', mode='l1'),
            dict(type='RankAlignLoss', mode='spearman')]


#: every registered loss of the core, with and without standardization
#: (CTKDLoss and MLKDLoss, which need a temperature module or several
#: views, run this guard in test_ctkd.py / test_mlkd.py; the batch-level
#: DISTLoss and SKDLoss, which refuse per-row weights, in test_dist_skd.py)
SYNC_FREE = [
    dict(type='KDLoss'),
    dict(type='KDLoss', standardize=True, loss_weight=0.5),
    dict(type='DKDLoss'),
    dict(type='DKDLoss', standardize=True),
    dict(type='NKDLoss'),
    dict(type='NKDLoss', temperature=2.0, standardize=True),
    dict(type='LDRLDLoss'),
    dict(type='LDRLDLoss', topk_from='teacher', standardize=True),
    dict(type='LDRLDLoss', k=3, loss_weight=2.0),
    dict(type='TTMLoss', power=0.5),
    dict(type='WTTMLoss', power=0.5, standardize=True),
    dict(type='WSLDLoss'),
    dict(type='WSLDLoss', temperature=4.0, standardize=True),
]
SDD_INNER = SYNC_FREE[:7] + _ranks()[:1]
RANK = _ranks()


def _name(cfg):
    return ','.join(f'{k}={v}' for k, v in cfg.items())


def _inputs(shape, device='cpu', seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    s = (torch.randn(*shape, generator=g) * 3).to(device, dtype)
    t = (torch.randn(*shape, generator=g) * 3).to(device, dtype)
    y = torch.randint(0, shape[1], (shape[0], ), generator=g).to(device)
    w = torch.rand(shape[0], generator=g).to(device, dtype)
    return s.requires_grad_(), t, y, w


def _step(loss, s, t, y, w):
    """Forward and backward as a training step calls them."""
    out = loss(s, t, y, weight=w, avg_factor=s.shape[0] / 2)
    out.backward()
    return out


# the losses on CPU, under the guard


@pytest.mark.parametrize('cfg', SYNC_FREE, ids=_name)
@pytest.mark.parametrize('shape', [(6, 10), (300, 120)])
def test_losses_do_not_read_the_device(cfg, shape):
    # (300, 120) takes LDRLD's large-batch top-k path as well
    loss = MODELS.build(cfg)
    s, t, y, w = _inputs(shape)
    with host_reads():
        _step(loss, s, t, y, w)
        loss(s, t, y, reduction_override='none').sum().backward()
        loss(s, t, y, weight=w, reduction_override='sum').backward()
    assert torch.isfinite(s.grad).all()


@pytest.mark.parametrize('inner', SDD_INNER[:-1], ids=_name)
@pytest.mark.parametrize('skip', [False, True])
def test_scale_decoupled_does_not_read_the_device(inner, skip):
    loss = MODELS.build(
        dict(type='ScaleDecoupledLoss', loss=inner,
             skip_nonfinite_views=skip))
    s, t, y, w = _inputs((6, 10, 5))
    with host_reads():
        _step(loss, s, t, y, w)
    assert torch.isfinite(s.grad).all()


def test_target_check_is_a_device_side_assert():
    """The range check reads nothing, yet a bad target still fails at once
    on CPU with the range in the message (reading the values only then)."""
    loss = MODELS.build(dict(type='DKDLoss'))
    s, t, y, w = _inputs((6, 10))
    with host_reads() as reads:
        loss(s, t, y)
    assert reads == []
    with pytest.raises(ValueError, match=r'\[0, 10\).*got \[1\d, 1\d\]'):
        loss(s, t, y + 10)


def test_eager_checks_switch(monkeypatch):
    from mmlogitkd.losses import utils
    monkeypatch.setattr(utils, 'EAGER_CHECKS', True)
    s, t, y, w = _inputs((6, 10))
    loss = MODELS.build(dict(type='KDLoss'))
    with pytest.raises(HostRead):
        with host_reads():
            loss(s, t, y)
    with pytest.raises(ValueError, match=r'\[0, 10\).*got \[-1, 8\]'):
        loss(s, t, torch.tensor([-1, 8, 0, 1, 2, 3]))


# soft_rank and RankAlignLoss: a bounded, data-independent number of reads


def _soft_rank_reads(x, eps=1.0):
    x = x.clone().requires_grad_()
    with host_reads(limit=None) as reads:
        soft_rank(x, eps).sum().backward()
    return len(reads)


@pytest.mark.parametrize('shape', [(256, 100), (64, 1000), (64, 100),
                                   (1024, 81), (64, 751), (3, 7)])
@pytest.mark.parametrize('scale', [1.0, 3.0, 10.0])
def test_soft_rank_reads_twice_on_logits(shape, scale):
    g = torch.Generator().manual_seed(shape[1])
    x = torch.randn(*shape, generator=g) * scale
    # 1: the candidate width; 2: one check after the first round (eps
    # large enough to merge everything needs only the first)
    assert _soft_rank_reads(x) == 2
    assert _soft_rank_reads(x, eps=1e3) == 1
    # near-hard ranks take a few more rounds: one more batch
    assert _soft_rank_reads(x, eps=0.1) <= 4


@pytest.mark.parametrize('n', [50, 200])
def test_soft_rank_reads_are_bounded_for_any_input(n):
    g = torch.Generator().manual_seed(n)
    bound = 2 + math.log2(n + 1)
    # exponentially spaced values: one merge after another, the worst case
    # of the rounds
    rows = [2.0**torch.linspace(0, 40, n, dtype=torch.float64),
            torch.randn(n, generator=g, dtype=torch.float64).exp() * 50,
            torch.arange(n, dtype=torch.float64)**3]
    for row in rows:
        x = row[torch.randperm(n, generator=g)][None]
        for eps in (0.01, 1.0, 100.0):
            assert _soft_rank_reads(x, eps) <= bound


@pytest.mark.parametrize('cfg', RANK, ids=_name)
@pytest.mark.parametrize('shape,reads', [((64, 100), 2), ((6, 10), 2),
                                         ((300, 300), 4)])
def test_rank_align_reads_are_bounded(cfg, shape, reads):
    """One soft_rank call on the stacked student and teacher (two on large
    CPU inputs, where that is faster): 2 reads per soft_rank call."""
    loss = MODELS.build(cfg)
    s, t, y, w = _inputs(shape)
    with host_reads(limit=reads):
        _step(loss, s, t, y, w)
    assert torch.isfinite(s.grad).all()


# the code path of a CUDA tensor, on the meta device


@pytest.mark.parametrize('cfg', SYNC_FREE, ids=_name)
@pytest.mark.parametrize('shape', [(6, 10), (300, 120)])
def test_losses_run_on_meta(cfg, shape):
    loss = MODELS.build(cfg).to('meta')
    s, t, y, w = _inputs(shape, 'meta')
    with host_reads():
        out = _step(loss, s, t, y, w)
    assert out.device.type == 'meta' and out.shape == ()
    assert s.grad.shape == shape


@pytest.mark.parametrize('inner', SDD_INNER[:-1], ids=_name)
def test_scale_decoupled_runs_on_meta(inner):
    loss = MODELS.build(
        dict(type='ScaleDecoupledLoss', loss=inner,
             skip_nonfinite_views=True)).to('meta')
    s, t, y, w = _inputs((6, 10, 5), 'meta')
    with host_reads():
        _step(loss, s, t, y, w)
    assert s.grad.shape == (6, 10, 5)


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_low_precision_does_not_read_the_device(dtype):
    s, t, y, w = _inputs((8, 10), dtype=dtype)
    for cfg in SYNC_FREE + RANK[:1]:
        loss = MODELS.build(cfg)
        # fp16 / bf16 logits have ties: soft_rank may need another batch
        limit = 4 if cfg['type'] == 'RankAlignLoss' else 0
        s.grad = None
        with host_reads(limit=limit):
            out = _step(loss, s, t, y, w)
        assert out.dtype == torch.float32 and torch.isfinite(out)


# a distiller's training step


def test_distiller_loss_terms_do_not_read_the_device():
    """ClsLogitDistiller: the distillation terms of a step (warm-up, every
    loss, views for SDD) read nothing from the device; the student's own
    cross-entropy and the models are mmpretrain's."""
    pytest.importorskip('mmpretrain')
    from mmengine.logging import MessageHub

    from mmlogitkd.apis import register_all_modules
    from mmlogitkd.distillers import PairedLogits
    register_all_modules()
    arch = dict(type='mmlogitkd.CifarResNet', arch='resnet8')

    def classifier():
        return dict(
            type='mmpretrain.ImageClassifier', backbone=arch,
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=10, in_channels=64,
                      loss=dict(type='CrossEntropyLoss')))

    losses = {f'loss{i}': c for i, c in enumerate(SYNC_FREE[:7] + RANK[:1])}
    losses['sdd'] = dict(type='ScaleDecoupledLoss', loss=dict(type='DKDLoss'))
    model = MODELS.build(
        dict(type='ClsLogitDistiller', student=classifier(),
             teacher=classifier(), distill_losses=losses, sdd_scales=(1, 2),
             distill_warmup=dict(length=3)))
    hub = MessageHub.get_current_instance()
    hub.update_info('epoch', 1)
    hub.update_info('max_epochs', 5)
    try:
        x = torch.randn(4, 3, 16, 16)
        with torch.no_grad():
            t_logits, t_cells = model._logits(model.teacher, x)
        s_logits, s_cells = model._logits(model.student, x)
        paired = PairedLogits(s_logits, t_logits, torch.tensor([1, 0, 3, 9]),
                              s_cells, t_cells)
        with host_reads(limit=2):  # RankAlignLoss's soft_rank
            terms = model.distill_loss_terms(paired)
            sum(terms.values()).backward()
    finally:
        hub.runtime_info.pop('epoch', None)
        hub.runtime_info.pop('max_epochs', None)
    assert set(terms) == {f'loss_distill_{k}' for k in losses}
