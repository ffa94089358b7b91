# Copyright (c) mmlogitkd contributors. All rights reserved.
"""CMC / mAP / mINP against torchreid's Python evaluator and a per-query
brute-force loop written here from the Market-1501 rules."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmlogitkd.evaluation import ReIDMetric, reid_rank_metrics
from mmlogitkd.registry import METRICS


def evaluate_rank(*args, **kwargs):
    # Imported late: mmlogitkd's torchvision shim must come first.
    from torchreid.reid.metrics.rank import evaluate_rank
    return evaluate_rank(*args, **kwargs)


def brute_force(distmat, q_pids, g_pids, q_camids, g_camids, max_rank):
    """One query at a time: order the gallery by (distance, index), drop the
    same-pid same-camera samples, read off the matches. CMC beyond a query's
    kept samples keeps its last value."""
    distmat = np.asarray(distmat, dtype=np.float64)
    num_q, num_g = distmat.shape
    max_rank = min(max_rank, num_g)
    cmc_sum = np.zeros(max_rank)
    aps, inps = [], []
    for q in range(num_q):
        order = sorted(range(num_g), key=lambda g: (distmat[q, g], g))
        kept = [
            g for g in order
            if not (g_pids[g] == q_pids[q] and g_camids[g] == q_camids[q])
        ]
        is_match = [g_pids[g] == q_pids[q] for g in kept]
        if not any(is_match):
            continue
        hits, precisions = 0, []
        for position, m in enumerate(is_match, start=1):
            if m:
                hits += 1
                precisions.append(hits / position)
                last = position
        first = is_match.index(True) + 1
        cmc_sum += [1.0 if k >= first else 0.0 for k in range(1, max_rank + 1)]
        aps.append(sum(precisions) / hits)
        inps.append(hits / last)
    if not aps:
        raise ValueError('no valid query')
    n = len(aps)
    return cmc_sum / n, sum(aps) / n, sum(inps) / n


def make_problem(num_q,
                 num_g,
                 num_pids,
                 num_cams,
                 seed,
                 ties=False,
                 absent_pids=0):
    """Random labels; tie-free distances (each row a random permutation of
    0..G-1, exact in float32) unless ``ties``. ``absent_pids`` extra query
    pids never appear in the gallery."""
    rng = np.random.default_rng(seed)
    g_pids = rng.integers(0, num_pids, num_g)
    q_pids = rng.integers(0, num_pids + absent_pids, num_q)
    q_camids = rng.integers(0, num_cams, num_q)
    g_camids = rng.integers(0, num_cams, num_g)
    if ties:
        distmat = rng.integers(0, 5, (num_q, num_g)).astype(np.float32)
    else:
        distmat = np.stack([rng.permutation(num_g)
                            for _ in range(num_q)]).astype(np.float32)
        # Pull same-pid samples forward so that AP is not near chance.
        same = q_pids[:, None] == g_pids[None]
        distmat = np.where(same, distmat / 4 + 0.125, distmat)
    return distmat, q_pids, g_pids, q_camids, g_camids


def assert_close(ours, ref, atol=1e-6):
    np.testing.assert_allclose(ours[0], ref[0], rtol=0, atol=atol)
    for a, b in zip(ours[1:], ref[1:]):
        assert abs(a - b) <= atol, (a, b)


@pytest.mark.parametrize('as_torch', [False, True])
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_matches_torchreid(as_torch, dtype):
    distmat, q_pids, g_pids, q_camids, g_camids = make_problem(
        80, 500, 25, 5, seed=1, absent_pids=3)
    distmat = distmat.astype(dtype)
    ref = evaluate_rank(
        distmat,
        q_pids,
        g_pids,
        q_camids,
        g_camids,
        max_rank=20,
        use_metric_cuhk03=False,
        use_cython=False)
    args = (distmat, q_pids, g_pids, q_camids, g_camids)
    if as_torch:
        args = tuple(torch.from_numpy(a) for a in args)
    cmc, mAP = reid_rank_metrics(*args, max_rank=20, chunk_size=16)
    assert cmc.shape == (20, )
    assert_close((cmc, mAP), ref)
    # Some queries are skipped, and the problem is not trivial.
    assert 0.05 < mAP < 0.95 and cmc[0] < 1


def test_matches_torchreid_small_gallery():
    # Gallery smaller than max_rank: both lower max_rank to G. Only queries
    # without same-camera matches, so torchreid's rows all have length G.
    rng = np.random.default_rng(2)
    g_pids = rng.integers(0, 4, 12)
    q_pids = rng.integers(0, 4, 30)
    q_camids = np.zeros(30, dtype=np.int64)
    g_camids = np.ones(12, dtype=np.int64)
    distmat = rng.random((30, 12))
    ref = evaluate_rank(
        distmat,
        q_pids,
        g_pids,
        q_camids,
        g_camids,
        max_rank=50,
        use_metric_cuhk03=False,
        use_cython=False)
    cmc, mAP = reid_rank_metrics(distmat, q_pids, g_pids, q_camids, g_camids)
    assert cmc.shape == (12, )
    assert_close((cmc, mAP), ref)


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_matches_brute_force_with_minp(seed):
    # max_rank 60 on 70 gallery samples: many queries keep fewer than 60
    # (torchreid's Python path fails here).
    problem = make_problem(40, 70, 6, 3, seed=seed, absent_pids=1)
    ours = reid_rank_metrics(*problem, max_rank=60, return_minp=True)
    assert_close(ours, brute_force(*problem, max_rank=60), atol=1e-12)
    assert len(reid_rank_metrics(*problem)) == 2


def test_short_gallery_cmc_keeps_last_value():
    # One query; gallery: 2 removed samples (same pid, same camera), one
    # match at kept rank 3 of 3 kept. CMC reaches 1 at rank 3 and stays.
    distmat = np.array([[0.1, 0.2, 0.3, 0.4, 0.5]])
    g_pids = np.array([7, 7, 1, 2, 7])
    g_camids = np.array([0, 0, 1, 1, 1])
    cmc, mAP, mINP = reid_rank_metrics(
        distmat,
        np.array([7]),
        g_pids,
        np.array([0]),
        g_camids,
        max_rank=5,
        return_minp=True)
    np.testing.assert_array_equal(cmc, [0, 0, 1, 1, 1])
    assert mAP == pytest.approx(1 / 3) and mINP == pytest.approx(1 / 3)


def test_separable():
    rng = np.random.default_rng(3)
    g_pids = np.repeat(np.arange(10), 6)
    g_camids = np.tile(np.arange(6), 10)
    q_pids = np.arange(10).repeat(2)
    q_camids = rng.integers(0, 6, 20)
    distmat = rng.random((20, 60)) + 10.0 * (q_pids[:, None] != g_pids)
    cmc, mAP, mINP = reid_rank_metrics(
        distmat,
        q_pids,
        g_pids,
        q_camids,
        g_camids,
        max_rank=10,
        return_minp=True)
    np.testing.assert_array_equal(cmc, np.ones(10))
    assert mAP == 1.0 and mINP == 1.0


def test_invalid_queries_skipped_and_all_invalid_raises():
    distmat, q_pids, g_pids, q_camids, g_camids = make_problem(
        30, 60, 5, 3, seed=4, absent_pids=5)
    # Every match of queries 0..9 in the query's own camera: removed.
    g_camids = g_camids.copy()
    for q in range(10):
        g_camids[g_pids == q_pids[q]] = q_camids[q]
    ref = brute_force(distmat, q_pids, g_pids, q_camids, g_camids, 10)
    ours = reid_rank_metrics(
        distmat,
        q_pids,
        g_pids,
        q_camids,
        g_camids,
        max_rank=10,
        return_minp=True)
    assert_close(ours, ref, atol=1e-12)

    # Each query sees its pid only in its own camera: no valid query.
    cams = np.where(g_pids[:, None] == q_pids[None, :1], q_camids[0], 9)
    with pytest.raises(ValueError, match='none of the 1 queries'):
        reid_rank_metrics(distmat[:1], q_pids[:1], g_pids, q_camids[:1],
                          cams[:, 0])
    with pytest.raises(ValueError, match='none of the'):
        reid_rank_metrics(distmat, q_pids + 100, g_pids, q_camids, g_camids)


def test_chunk_size_does_not_matter():
    problem = make_problem(50, 200, 12, 4, seed=5, absent_pids=2)
    outs = [
        reid_rank_metrics(
            *problem, max_rank=30, chunk_size=c, return_minp=True)
        for c in (1, 7, 10000)
    ]
    for out in outs[1:]:
        assert_close(out, outs[0], atol=1e-12)


@pytest.mark.parametrize('chunk_size', [1, 3, 256])
def test_ties_ordered_by_gallery_index(chunk_size):
    # Distances in {0..4}: most samples tie. The brute force orders ties by
    # gallery index; so must we.
    problem = make_problem(30, 80, 5, 3, seed=6, ties=True, absent_pids=1)
    ours = reid_rank_metrics(
        *problem, max_rank=80, chunk_size=chunk_size, return_minp=True)
    assert_close(ours, brute_force(*problem, max_rank=80), atol=1e-12)


def test_input_checks():
    problem = list(make_problem(4, 10, 3, 2, seed=7))
    bad = problem[0].copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match='NaN'):
        reid_rank_metrics(bad, *problem[1:])
    with pytest.raises(ValueError, match='g_pids'):
        reid_rank_metrics(problem[0], problem[1], problem[2][:5], *problem[3:])
    with pytest.raises(ValueError, match='2-D'):
        reid_rank_metrics(problem[0][0], *problem[1:])


def test_strided_and_grad_inputs():
    problem = make_problem(20, 50, 5, 3, seed=11, absent_pids=1)
    ref = reid_rank_metrics(*problem, return_minp=True)
    distmat = problem[0]
    as_list = [list(a) for a in problem[1:]]
    variants = [
        np.asfortranarray(distmat),  # column-major
        torch.from_numpy(distmat.T.copy()).T,  # transposed view
        torch.from_numpy(distmat).requires_grad_(),
        torch.from_numpy(distmat).half(),  # exact: integers and eighths
    ]
    for d in variants:
        assert_close(
            reid_rank_metrics(d, *problem[1:], return_minp=True),
            ref,
            atol=1e-12)
    assert_close(
        reid_rank_metrics(distmat, *as_list, return_minp=True),
        ref,
        atol=1e-12)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_cuda_matches_cpu():
    for ties in (False, True):
        problem = make_problem(
            60, 300, 10, 4, seed=12, ties=ties, absent_pids=2)
        ref = reid_rank_metrics(
            *problem, max_rank=30, chunk_size=16, return_minp=True)
        on_gpu = [torch.from_numpy(a).cuda() for a in problem]
        assert_close(
            reid_rank_metrics(
                *on_gpu, max_rank=30, chunk_size=16, return_minp=True),
            ref,
            atol=1e-12)


# ReIDMetric ----------------------------------------------------------------


def fake_samples(seed=8,
                 num_pids=8,
                 num_cams=4,
                 num_query=24,
                 num_gallery=90,
                 dim=16):
    """Predicted samples as mmengine's Evaluator passes them: dicts with
    ``pred_feature`` and the metainfo keys."""
    g = torch.Generator().manual_seed(seed)
    centers = torch.randn(num_pids, dim, generator=g)
    samples = []
    for i in range(num_query + num_gallery):
        pid = int(torch.randint(num_pids, (1, ), generator=g))
        samples.append(
            dict(
                pred_feature=centers[pid] + torch.randn(dim, generator=g),
                pid=pid,
                camid=int(torch.randint(num_cams, (1, ), generator=g)),
                is_query=i < num_query,
                img_path=f'{i}.jpg'))
    return samples


def split(samples):
    q = [s for s in samples if s['is_query']]
    g = [s for s in samples if not s['is_query']]

    def arrays(items):
        return (torch.stack([s['pred_feature'] for s in items]),
                np.array([s['pid'] for s in items]),
                np.array([s['camid'] for s in items]))

    return arrays(q), arrays(g)


def expected(samples, metric, normalize, ranks=(1, 5, 10)):
    (qf, q_pids, q_cams), (gf, g_pids, g_cams) = split(samples)
    if normalize:
        qf, gf = F.normalize(qf, dim=1), F.normalize(gf, dim=1)
    if metric == 'euclidean':
        distmat = torch.cdist(qf.double(), gf.double())**2
    else:
        distmat = 1 - F.normalize(
            qf.double(), dim=1) @ F.normalize(
                gf.double(), dim=1).T
    cmc, mAP, mINP = reid_rank_metrics(
        distmat, q_pids, g_pids, q_cams, g_cams, return_minp=True)
    out = dict(mAP=100 * mAP, mINP=100 * mINP)
    out.update({f'rank{k}': 100 * cmc[k - 1] for k in ranks})
    return out


def run_metric(metric, samples, batch_size=10):
    for i in range(0, len(samples), batch_size):
        metric.process({}, samples[i:i + batch_size])
    return metric.evaluate(len(samples))


@pytest.mark.parametrize('dist', ['euclidean', 'cosine'])
@pytest.mark.parametrize('normalize', [False, True])
def test_reid_metric_end_to_end(dist, normalize):
    samples = fake_samples()
    metric = METRICS.build(
        dict(type='ReIDMetric', metric=dist, normalize_feature=normalize))
    assert isinstance(metric, ReIDMetric)
    results = run_metric(metric, samples)
    ref = expected(samples, dist, normalize)
    assert set(results) == {f'reid/{k}' for k in ref}
    for k, v in ref.items():
        # float32 distances in the metric, float64 here: same order.
        assert results[f'reid/{k}'] == pytest.approx(v, abs=1e-4), k
    assert 0 < results['reid/mAP'] < 100


def test_reid_metric_accepts_data_elements_and_prefix():
    from mmengine.structures import BaseDataElement
    samples = fake_samples(seed=9)
    elements = [
        BaseDataElement(
            metainfo=dict(
                pid=s['pid'], camid=s['camid'], is_query=s['is_query']),
            pred_feature=s['pred_feature']) for s in samples
    ]
    metric = ReIDMetric(ranks=(1, 3), prefix='market')
    results = run_metric(metric, elements)
    ref = expected(samples, 'euclidean', False, ranks=(1, 3))
    assert set(results) == {f'market/{k}' for k in ref}
    for k, v in ref.items():
        assert results[f'market/{k}'] == pytest.approx(v, abs=1e-4)


def test_reid_metric_errors():
    samples = fake_samples(num_query=5, num_gallery=5)
    with pytest.raises(ValueError, match='no gallery samples'):
        ReIDMetric().compute_metrics([
            dict(feature=s['pred_feature'], pid=1, camid=0, is_query=True)
            for s in samples
        ])
    with pytest.raises(ValueError, match='no query samples'):
        ReIDMetric().compute_metrics([
            dict(feature=s['pred_feature'], pid=1, camid=0, is_query=False)
            for s in samples
        ])
    with pytest.raises(ValueError, match='euclidean'):
        ReIDMetric(metric='manhattan')
    with pytest.raises(ValueError, match='ranks'):
        ReIDMetric(ranks=(1, 60), max_rank=50)


@pytest.mark.parametrize('dist', ['euclidean', 'cosine'])
def test_reid_metric_rerank(dist):
    from torchreid.reid.metrics import compute_distance_matrix
    from torchreid.reid.utils.rerank import re_ranking
    samples = fake_samples(seed=10)
    metric = ReIDMetric(metric=dist, normalize_feature=True, rerank=True)
    results = run_metric(metric, samples)

    # As torchreid's engine does it.
    (qf, q_pids, q_cams), (gf, g_pids, g_cams) = split(samples)
    qf, gf = F.normalize(qf, dim=1), F.normalize(gf, dim=1)
    distmat = re_ranking(
        compute_distance_matrix(qf, gf, dist).numpy(),
        compute_distance_matrix(qf, qf, dist).numpy(),
        compute_distance_matrix(gf, gf, dist).numpy())
    # Parity with torchreid's evaluator needs tie-free rows.
    srt = np.sort(distmat, axis=1)
    assert not (srt[:, 1:] == srt[:, :-1]).any()
    cmc, mAP = evaluate_rank(
        distmat,
        q_pids,
        g_pids,
        q_cams,
        g_cams,
        max_rank=50,
        use_metric_cuhk03=False,
        use_cython=False)
    assert results['reid/mAP'] == pytest.approx(100 * mAP, abs=1e-4)
    for k in (1, 5, 10):
        assert results[f'reid/rank{k}'] == pytest.approx(
            100 * cmc[k - 1], abs=1e-4)
    _, _, mINP = reid_rank_metrics(
        distmat, q_pids, g_pids, q_cams, g_cams, return_minp=True)
    assert results['reid/mINP'] == pytest.approx(100 * mINP, abs=1e-4)
    plain = run_metric(
        ReIDMetric(metric=dist, normalize_feature=True), samples)
    assert plain['reid/mAP'] != results['reid/mAP']


def test_euclidean_distance_matches_torchreid():
    from torchreid.reid.metrics import compute_distance_matrix

    from mmlogitkd.evaluation.reid_metric import _distance_matrix
    x, y = torch.randn(7, 5), torch.randn(9, 5)
    for dist in ('euclidean', 'cosine'):
        torch.testing.assert_close(
            _distance_matrix(x, y, dist),
            compute_distance_matrix(x, y, dist),
            rtol=0,
            atol=0)
