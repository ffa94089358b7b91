# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Compiled mmcv ops on CPU, and torchvision through our compat module."""
import itertools

import pytest
import torch
import torchvision  # noqa: E402
from mmcv.ops import RoIAlign, nms  # noqa: E402

import mmlogitkd.compat as compat  # noqa: F401  (must precede torchvision)


def _random_boxes(n, seed, scale=40.):
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=g) * scale
    wh = torch.rand(n, 2, generator=g) * scale / 2 + 1
    return torch.cat([xy, xy + wh], 1), torch.rand(n, generator=g)


def _brute_force_nms(boxes, scores, thr):
    """Textbook greedy loop, one box at a time."""
    order = sorted(range(len(scores)), key=lambda i: -float(scores[i]))
    keep = []
    for i in order:
        ok = True
        for j in keep:
            lt = torch.maximum(boxes[i, :2], boxes[j, :2])
            rb = torch.minimum(boxes[i, 2:], boxes[j, 2:])
            inter = (rb - lt).clamp(min=0).prod()
            union = ((boxes[i, 2:] - boxes[i, :2]).prod() +
                     (boxes[j, 2:] - boxes[j, :2]).prod() - inter)
            if inter / union > thr:
                ok = False
                break
        if ok:
            keep.append(i)
    return keep


@pytest.mark.parametrize('seed,thr',
                         list(itertools.product(range(4), (0.3, 0.7))))
def test_torchvision_nms_matches_greedy_loop(seed, thr):
    boxes, scores = _random_boxes(60, seed)
    keep = torchvision.ops.nms(boxes, scores, thr)
    assert keep.dtype == torch.int64
    assert keep.tolist() == _brute_force_nms(boxes, scores, thr)


def test_torchvision_batched_nms_separates_classes():
    boxes, scores = _random_boxes(40, 7)
    idxs = torch.arange(40) % 3
    keep = set(torchvision.ops.batched_nms(boxes, scores, idxs, 0.5).tolist())
    expected = set()
    for c in range(3):
        members = (idxs == c).nonzero().flatten()
        kept = _brute_force_nms(boxes[members], scores[members], 0.5)
        expected |= set(members[kept].tolist())
    assert keep == expected


def test_mmcv_nms_agrees_with_torchvision():
    boxes, scores = _random_boxes(80, 3)
    dets, inds = nms(boxes, scores, 0.5)
    assert sorted(inds.tolist()) == sorted(
        torchvision.ops.nms(boxes, scores, 0.5).tolist())
    assert dets.shape == (len(inds), 5)


def test_roi_align_torchvision_vs_mmcv_on_cpu():
    g = torch.Generator().manual_seed(0)
    feats = torch.rand(2, 4, 20, 24, generator=g, dtype=torch.float64)
    boxes, _ = _random_boxes(6, 1, scale=60.)
    rois = torch.cat([torch.tensor([0, 0, 1, 1, 0, 1.])[:, None], boxes],
                     1).double()
    mm = RoIAlign((7, 7), spatial_scale=0.25, sampling_ratio=2,
                  aligned=True)(feats, rois)
    tv = torchvision.ops.roi_align(feats, rois, (7, 7), spatial_scale=0.25,
                                   sampling_ratio=2, aligned=True)
    torch.testing.assert_close(mm, tv)
    # gradients flow through the mmcv op on CPU
    feats.requires_grad_(True)
    RoIAlign((7, 7), 0.25, 2, aligned=True)(feats.float(),
                                            rois.float()).sum().backward()
    assert feats.grad is not None and feats.grad.abs().sum() > 0


def test_torchvision_models_and_transforms():
    model = torchvision.models.resnet18(weights=None, num_classes=5).eval()
    with torch.no_grad():
        assert model(torch.rand(2, 3, 64, 64)).shape == (2, 5)
    from torchvision.transforms import v2
    img = torch.randint(0, 256, (3, 40, 50), dtype=torch.uint8)
    out = v2.Compose([v2.Resize((20, 25)), v2.ToDtype(torch.float32, True),
                      v2.Normalize([0.5] * 3, [0.5] * 3)])(img)
    assert out.shape == (3, 20, 25) and out.dtype == torch.float32
    assert out.min() >= -1 - 1e-6 and out.max() <= 1 + 1e-6


def test_compat_reports_missing_ops_only_when_missing():
    # Here (CPU torch + CUDA-linked torchvision wheel) the op exists because
    # we defined it; the detector must not try to define it twice.
    assert hasattr(torch.ops.torchvision, 'nms')
    assert compat.torchvision_ops_missing() is False
    compat.apply()  # idempotent
