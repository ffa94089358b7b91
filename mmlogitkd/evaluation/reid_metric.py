# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Person re-identification ranking metrics: CMC, mAP and mINP.

:func:`reid_rank_metrics` gives the numbers of torchreid's Market-1501
protocol (``torchreid.reid.metrics.rank.evaluate_rank`` with
``use_metric_cuhk03=False``) without its per-query Python loop, and
:class:`ReIDMetric` wraps it as an mmengine metric over embeddings.
"""
from concurrent.futures import ThreadPoolExecutor
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric

from mmlogitkd.registry import METRICS

ArrayLike = Union[np.ndarray, torch.Tensor]


class _RowSorter:
    """Sorts each row of ``[B, G]`` blocks ascending, values only.

    On CPU it uses NumPy's SIMD sort, several times faster than
    ``torch.sort`` (which also computes indices), in place in one buffer
    reused across blocks (fresh pages are costly to fault in), on
    ``torch.get_num_threads()`` threads that each take a slice of rows
    (NumPy releases the GIL while it sorts). Elsewhere ``torch.sort``.
    Use it as a context manager, which ends its threads.
    """

    def __init__(self, max_rows: int, num_cols: int, dtype: torch.dtype,
                 device: torch.device) -> None:
        self.on_cpu = device.type == 'cpu'
        self.buffer = None
        self.pool = None
        if self.on_cpu:
            np_dtype = torch.empty(0, dtype=dtype).numpy().dtype
            self.buffer = np.empty((max_rows, num_cols), dtype=np_dtype)
            self.workers = min(torch.get_num_threads(), max_rows)
            if self.workers > 1:
                self.pool = ThreadPoolExecutor(
                    self.workers, thread_name_prefix='reid_sort')

    def __enter__(self) -> '_RowSorter':
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown()

    def __call__(self, block: torch.Tensor) -> torch.Tensor:
        if not self.on_cpu:
            return torch.sort(block, dim=1).values
        rows = block.shape[0]
        out = self.buffer[:rows]
        np.copyto(out, block.numpy())
        if self.pool is None or rows < 2:
            out.sort(axis=1)
        else:
            bounds = np.linspace(0, rows, self.workers + 1).astype(int)
            jobs = [
                self.pool.submit(out[s:e].sort, axis=1)
                for s, e in zip(bounds[:-1], bounds[1:]) if e > s
            ]
            for job in jobs:
                job.result()
        return torch.from_numpy(out)


def _equal_ahead(block: torch.Tensor, rows: torch.Tensor, values: torch.Tensor,
                 cols: torch.Tensor, chunk_size: int) -> torch.Tensor:
    """``out[i] = #{h < cols[i] : block[rows[i], h] == values[i]}`` [K].

    Scans ``chunk_size`` rows at a time. On CPU in NumPy: these scans are
    rare and small, and torch's OpenMP workers can stall them for
    milliseconds when the cores are busy.
    """
    num_g = block.shape[1]
    if block.device.type != 'cpu':
        col_index = torch.arange(num_g, device=block.device)
        return torch.cat([
            ((block[rows[t:t + chunk_size]] == values[t:t + chunk_size, None])
             & (col_index < cols[t:t + chunk_size, None])).sum(1)
            for t in range(0, len(rows), chunk_size)
        ])
    block_np, col_index = block.numpy(), np.arange(num_g)
    rows, values, cols = rows.numpy(), values.numpy(), cols.numpy()
    out = np.empty(len(rows), dtype=np.int64)
    for t in range(0, len(rows), chunk_size):
        sl = slice(t, t + chunk_size)
        same = block_np[rows[sl]] == values[sl, None]
        same &= col_index < cols[sl, None]
        out[sl] = np.count_nonzero(same, axis=1)
    return torch.from_numpy(out)


def _lookup(table: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``table[index]`` for a 1-D ``table``; ``index_select`` stays cheap
    on busy cores where ``take`` and advanced indexing can stall."""
    return table.index_select(0, index.reshape(-1)).view(index.shape)


def _as_tensor(x: ArrayLike, name: str) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x.detach()
    x = np.asarray(x)
    if x.dtype == object:
        raise TypeError(f'{name} must be a numeric array, got {x.dtype}')
    try:
        return torch.from_numpy(x)  # any non-negative strides, no copy
    except ValueError:
        return torch.from_numpy(np.ascontiguousarray(x))


def _as_labels(x: ArrayLike, name: str, length: int,
               device: torch.device) -> torch.Tensor:
    t = _as_tensor(x, name).reshape(-1)
    if t.numel() != length:
        raise ValueError(f'{name} has {t.numel()} entries, expected {length} '
                         '(one per row/column of distmat)')
    if t.is_floating_point() or t.is_complex():
        raise TypeError(f'{name} must hold integers, got {t.dtype}')
    return t.to(device=device, dtype=torch.int64)


def _match_ranks(block: torch.Tensor, sort_rows: _RowSorter,
                 g_order: torch.Tensor, seg_start: torch.Tensor,
                 seg_count: torch.Tensor, g_camids: torch.Tensor,
                 q_camids: torch.Tensor, chunk_size: int):
    """Ranks of the matches of a block of queries among their kept samples.

    Args:
        block (Tensor): Distances of B queries, shape [B, G].
        sort_rows (_RowSorter): Sorts the rows of ``block``.
        g_order (Tensor): Gallery indices grouped by pid, ascending within a
            pid, shape [G].
        seg_start (Tensor): Where each query's pid starts in ``g_order``,
            shape [B].
        seg_count (Tensor): How many gallery samples have each query's pid,
            shape [B].
        g_camids (Tensor): Gallery cameras, shape [G].
        q_camids (Tensor): Cameras of the block's queries, shape [B].
        chunk_size (int): Rows per scan where distances tie.

    Returns:
        tuple | None: For the V valid queries of the block (None if none),
        over their M same-pid gallery samples in (distance, index) order:
        ``hit`` (bool [V, M], a match: same pid, other camera), ``rank``
        (float64 [V, M], 1-based rank among the kept samples, meaningful at
        hits), ``hits_so_far`` (int64 [V, M], inclusive count of hits) and
        ``num_hits`` (float64 [V]).
    """
    device = block.device
    num_g = block.shape[1]
    # Same-pid gallery samples of each query [B, M], padded to M.
    offs = torch.arange(int(seg_count.max()), device=device)
    in_seg = offs[None] < seg_count[:, None]
    g_idx = _lookup(g_order,
                    torch.where(in_seg, seg_start[:, None] + offs[None], 0))
    val = block.gather(1, g_idx)
    # Padding sorts last: stability keeps real +inf entries, which sit in
    # lower columns, ahead of it; ties among real ones stay in index order.
    key = val.masked_fill(~in_seg, float('inf'))
    perm = torch.sort(key, dim=1, stable=True).indices
    val = val.gather(1, perm)
    g_idx = g_idx.gather(1, perm)
    in_seg = in_seg.gather(1, perm)
    same_cam = _lookup(g_camids, g_idx) == q_camids[:, None]
    hit = in_seg & ~same_cam
    junk = in_seg & same_cam  # removed: same pid, same camera
    hits_so_far = torch.cumsum(hit, 1)
    num_hits = hits_so_far[:, -1]
    valid = num_hits > 0
    if not bool(valid.any()):
        return None

    # Gallery samples ahead of each same-pid sample in (distance, index)
    # order: strictly smaller distances by binary search in the sorted row,
    sorted_block = sort_rows(block)
    # (NaN sorts last, so the last column shows any)
    if bool(torch.isnan(sorted_block[:, -1]).any()):
        raise ValueError('distmat contains NaN')
    ahead = torch.searchsorted(sorted_block, val)
    # plus equal distances with a smaller gallery index, counted by a scan
    # of the row where another sample shares the distance: one then sits
    # right after the first of them in the sorted row.
    next_pos = (ahead + 1).clamp_(max=num_g - 1)
    tied = (sorted_block.gather(1, next_pos) == val) & (ahead + 1 < num_g)
    tie_r, tie_c = torch.nonzero(in_seg & tied & valid[:, None], as_tuple=True)
    if len(tie_r):
        ahead[tie_r, tie_c] += _equal_ahead(block, tie_r, val[tie_r, tie_c],
                                            g_idx[tie_r, tie_c], chunk_size)
    # Less the removed samples ahead: the row is in (distance, index)
    # order, so an exclusive cumsum.
    junk_ahead = torch.cumsum(junk, 1) - junk.long()
    rank = (ahead - junk_ahead + 1).double()
    return (hit[valid], rank[valid], hits_so_far[valid],
            num_hits[valid].double())


def reid_rank_metrics(
    distmat: ArrayLike,
    q_pids: ArrayLike,
    g_pids: ArrayLike,
    q_camids: ArrayLike,
    g_camids: ArrayLike,
    max_rank: int = 50,
    chunk_size: int = 256,
    return_minp: bool = False,
) -> Union[Tuple[np.ndarray, float], Tuple[np.ndarray, float, float]]:
    """CMC, mAP (and mINP) of a query-gallery distance matrix, Market-1501
    protocol.

    The numbers are those of torchreid's Python evaluator
    ``evaluate_rank(distmat, q_pids, g_pids, q_camids, g_camids, max_rank,
    use_metric_cuhk03=False, use_cython=False)``:

    - for each query, the gallery samples with its pid *and* its camera are
      removed; a query with no remaining sample of its pid is skipped, and
      the averages run over the ``num_valid_q`` remaining queries;
    - the rank of a kept gallery sample is its 1-based position among the
      kept samples ordered by distance; CMC at rank ``k`` is the fraction of
      valid queries whose first match has rank ``<= k``;
    - AP is the non-interpolated mean over the matches of the precision at
      each match, ``(matches up to it) / (its rank)``; mAP is its mean;
    - INP is ``(number of matches) / (rank of the last match)``; mINP is its
      mean (Ye et al., "Deep Learning for Person Re-identification: A Survey
      and Outlook", as fast-reid computes it; torchreid 0.2.5 has no mINP).

    Defined where torchreid is not:

    - Ties: gallery samples are ordered by distance, then by gallery index
      (a stable sort). torchreid uses the unstable ``np.argsort``, so with
      tied distances the two may order matches differently.
    - A query with fewer kept gallery samples than ``max_rank`` (torchreid's
      Python path fails to stack its shorter CMC row): its CMC keeps its
      last value beyond its kept samples, which is 1 for a valid query
      (once matched, always matched).
    - As in torchreid, ``max_rank`` is lowered to the gallery size when the
      gallery is smaller, so ``cmc`` has ``min(max_rank, G)`` entries.
    - NaN distances raise ``ValueError``; ``inf`` is an ordinary, largest
      distance.

    How: per block of ``chunk_size`` queries, each distance row is sorted by
    value only (NumPy's SIMD sort on ``torch.get_num_threads()`` threads on
    CPU, ``torch.sort`` on other devices). The rank of each gallery sample
    of the query's pid is then a binary search of its distance in its sorted
    row (plus the exact count of equal distances with a smaller gallery
    index, where there are ties), less the removed same-camera samples ahead
    of it. Beyond the sort, all work is on the ``[B, M]`` same-pid samples
    (``M`` the largest number of gallery samples of one pid): no ``[B, G]``
    argsort, index or mask array is built. Sums are in float64.

    Memory beyond the inputs: the sorted copy of one block, ``chunk_size x
    G x itemsize`` bytes (``256 x G x 4`` for float32 distances: 16 MB on
    Market-1501), a few ``[chunk_size, M]`` arrays, and where distances tie,
    scans of up to ``chunk_size`` rows (``chunk_size x G x (itemsize + 1)``
    bytes at most).

    Args:
        distmat (np.ndarray | torch.Tensor): Distances, shape [Q, G]. Float
            distances are ranked in their own dtype (half types in float32,
            integers in float64); a CUDA tensor is processed on its device.
        q_pids (np.ndarray | torch.Tensor): Query identities, integers [Q].
        g_pids (np.ndarray | torch.Tensor): Gallery identities, integers [G].
        q_camids (np.ndarray | torch.Tensor): Query cameras, integers [Q].
        g_camids (np.ndarray | torch.Tensor): Gallery cameras, integers [G].
        max_rank (int): Length of the CMC curve. Defaults to 50.
        chunk_size (int): Queries per block; bounds the memory. Defaults to
            256.
        return_minp (bool): Also return mINP. Defaults to False.

    Returns:
        tuple: ``(cmc, mAP)``, or ``(cmc, mAP, mINP)`` with ``return_minp``:
        ``cmc`` a float64 array [min(max_rank, G)] of fractions in [0, 1],
        ``mAP`` and ``mINP`` Python floats in [0, 1].

    Raises:
        ValueError: On inconsistent shapes, NaN distances, or when no query
            has a match in the gallery from another camera.
    """
    dist = _as_tensor(distmat, 'distmat')
    if dist.dim() != 2:
        raise ValueError(f'distmat must be 2-D [Q, G], got shape '
                         f'{tuple(dist.shape)}')
    if max_rank < 1:
        raise ValueError(f'max_rank must be >= 1, got {max_rank}')
    if chunk_size < 1:
        raise ValueError(f'chunk_size must be >= 1, got {chunk_size}')
    num_q, num_g = dist.shape
    device = dist.device
    q_pids = _as_labels(q_pids, 'q_pids', num_q, device)
    q_camids = _as_labels(q_camids, 'q_camids', num_q, device)
    g_pids = _as_labels(g_pids, 'g_pids', num_g, device)
    g_camids = _as_labels(g_camids, 'g_camids', num_g, device)
    if num_q == 0 or num_g == 0:
        raise ValueError(f'empty distance matrix of shape {(num_q, num_g)}')
    if not dist.is_floating_point():
        dist = dist.double()
    elif dist.dtype in (torch.float16, torch.bfloat16):
        # Widening is exact, so the order is unchanged; NumPy has no bf16.
        dist = dist.float()
    max_rank = min(max_rank, num_g)

    # Gallery grouped by pid, ascending gallery index within a pid (stable),
    # so each query's same-pid samples are one contiguous segment.
    g_order = torch.argsort(g_pids, stable=True)
    uniq_pids, pid_counts = torch.unique_consecutive(
        g_pids[g_order], return_counts=True)
    pid_starts = torch.cumsum(pid_counts, 0) - pid_counts
    slot = torch.searchsorted(uniq_pids, q_pids).clamp_(max=len(uniq_pids) - 1)
    found = uniq_pids[slot] == q_pids
    q_start = pid_starts[slot]
    q_count = torch.where(found, pid_counts[slot], 0)

    # first_rank_hist[r] counts valid queries whose first match has rank r;
    # ranks past max_rank share the last bin.
    first_rank_hist = torch.zeros(
        max_rank + 2, dtype=torch.int64, device=device)
    ap_sum = inp_sum = 0.
    num_valid = 0
    block_rows = min(chunk_size, num_q)
    with _RowSorter(block_rows, num_g, dist.dtype, device) as sort_rows:
        for s in range(0, num_q, chunk_size):
            e = min(s + chunk_size, num_q)
            count = q_count[s:e]
            block = dist[s:e].contiguous()
            if int(count.max()) == 0:
                # No query of this block has its pid in the gallery.
                if bool(torch.isnan(block).any()):
                    raise ValueError('distmat contains NaN')
                continue
            ranks = _match_ranks(block, sort_rows, g_order, q_start[s:e],
                                 count, g_camids, q_camids[s:e], chunk_size)
            if ranks is None:
                continue
            hit, rank, hits_so_far, num_hits = ranks
            precision = torch.where(hit, hits_so_far.double() / rank, 0.)
            ap_sum += float((precision.sum(1) / num_hits).sum())
            last = torch.where(hit, rank, 0).amax(1)
            inp_sum += float((num_hits / last).sum())
            num_valid += len(num_hits)
            first = torch.where(hit, rank, num_g + 1).amin(1).long()
            first_rank_hist += torch.bincount(
                first.clamp(max=max_rank + 1), minlength=max_rank + 2)

    n = num_valid
    if n == 0:
        raise ValueError(
            f'none of the {num_q} queries has a gallery sample of its pid '
            'from another camera, so CMC and mAP are undefined')
    cmc = (torch.cumsum(first_rank_hist[1:max_rank + 1], 0).double() /
           n).cpu().numpy()
    mAP = ap_sum / n
    if return_minp:
        return cmc, mAP, inp_sum / n
    return cmc, mAP


def _distance_matrix(x: torch.Tensor, y: torch.Tensor,
                     metric: str) -> torch.Tensor:
    """Distances [N, M] between rows of ``x`` [N, D] and ``y`` [M, D], as
    torchreid's ``compute_distance_matrix``: squared euclidean by the
    ``|x|^2 + |y|^2 - 2 x.y`` expansion, or ``1 - cosine similarity``."""
    if metric == 'euclidean':
        dist = (x.pow(2).sum(1, keepdim=True) + y.pow(2).sum(1)[None])
        return dist.addmm_(x, y.t(), beta=1, alpha=-2)
    return 1 - torch.mm(
        F.normalize(x, p=2, dim=1),
        F.normalize(y, p=2, dim=1).t())


def _import_re_ranking():
    try:
        from torchreid.reid.utils.rerank import re_ranking
    except ImportError as exc:
        raise ImportError(
            'ReIDMetric(rerank=True) needs torchreid\'s k-reciprocal '
            're-ranking (torchreid.reid.utils.rerank.re_ranking); install '
            'torchreid (pip install torchreid) or set rerank=False') from exc
    return re_ranking


@METRICS.register_module()
class ReIDMetric(BaseMetric):
    """CMC, mAP and mINP of person re-identification embeddings, in percent.

    Each predicted sample (a dict, as mmengine's ``Evaluator`` passes it)
    carries ``pred_feature`` (Tensor [D], the embedding) and the metainfo
    ``pid`` (int), ``camid`` (int) and ``is_query`` (bool). The query and
    gallery embeddings are compared with torchreid's distances and ranked by
    :func:`reid_rank_metrics` (Market-1501 protocol).

    The returned values are percentages (``100 x`` the fractions, like
    mmpretrain's accuracy): ``mAP``, ``mINP`` and ``rank{k}`` for each ``k``
    in ``ranks``, reported as ``reid/mAP``, ``reid/rank1``, ...

    Args:
        metric (str): ``'euclidean'`` (squared euclidean distance, as
            torchreid) or ``'cosine'`` (``1 - cosine similarity``).
            Defaults to ``'euclidean'``.
        normalize_feature (bool): L2-normalise the embeddings before the
            distances. Defaults to False.
        ranks (Sequence[int]): CMC ranks to report. Defaults to (1, 5, 10).
        max_rank (int): Length of the CMC curve; must cover ``ranks``.
            Defaults to 50. With a gallery smaller than a rank, that rank
            reports the CMC at the gallery size (100 by construction).
        rerank (bool): Apply k-reciprocal re-ranking (Zhong et al., CVPR
            2017) with torchreid's ``re_ranking`` (``k1=20, k2=6,
            lambda=0.3``) before ranking. It needs the query-query and
            gallery-gallery distances as well, and holds several
            ``(Q + G)^2`` float32 arrays (about 1.5 GB each on Market-1501),
            so it is much slower and hungrier than plain ranking. Raises
            ImportError at construction when torchreid is not installed.
            Defaults to False.
        collect_device (str): Device for gathering results across ranks,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names. Defaults to
            None, meaning ``'reid'``.
        collect_dir (str, optional): Directory for gathering results on CPU.
            Defaults to None.
    """
    default_prefix = 'reid'

    def __init__(self,
                 metric: str = 'euclidean',
                 normalize_feature: bool = False,
                 ranks: Sequence[int] = (1, 5, 10),
                 max_rank: int = 50,
                 rerank: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
        if metric not in ('euclidean', 'cosine'):
            raise ValueError(f'metric must be "euclidean" or "cosine", got '
                             f'{metric!r}')
        ranks = tuple(int(k) for k in ranks)
        if any(k < 1 or k > max_rank for k in ranks):
            raise ValueError(f'ranks {ranks} must lie in [1, max_rank='
                             f'{max_rank}]')
        self.metric = metric
        self.normalize_feature = normalize_feature
        self.ranks = ranks
        self.max_rank = max_rank
        self.rerank = rerank
        if rerank:
            _import_re_ranking()  # fail at build time, not after inference

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep each sample's embedding (on CPU), pid, camera and role."""
        for sample in data_samples:
            if hasattr(sample, 'to_dict'):
                sample = sample.to_dict()
            feature = sample['pred_feature']
            if not isinstance(feature, torch.Tensor):
                feature = torch.as_tensor(feature)
            self.results.append(
                dict(
                    feature=feature.detach().reshape(-1).cpu(),
                    pid=int(sample['pid']),
                    camid=int(sample['camid']),
                    is_query=bool(sample['is_query'])))

    def compute_metrics(self, results: List[dict]) -> dict:
        """Rank the gallery for every query.

        Args:
            results (list[dict]): What :meth:`process` kept, over the whole
                dataset.

        Returns:
            dict: ``mAP``, ``mINP`` and ``rank{k}`` in percent.
        """
        query = [r for r in results if r['is_query']]
        gallery = [r for r in results if not r['is_query']]
        if not query or not gallery:
            missing = 'query' if not query else 'gallery'
            raise ValueError(
                f'ReIDMetric got no {missing} samples among {len(results)} '
                f'results ({len(query)} with is_query=True, {len(gallery)} '
                'with is_query=False); the evaluation set must hold both')

        def stack(items):
            feats = torch.stack([r['feature'] for r in items]).float()
            pids = torch.tensor([r['pid'] for r in items])
            camids = torch.tensor([r['camid'] for r in items])
            return feats, pids, camids

        qf, q_pids, q_camids = stack(query)
        gf, g_pids, g_camids = stack(gallery)
        if self.normalize_feature:
            qf = F.normalize(qf, p=2, dim=1)
            gf = F.normalize(gf, p=2, dim=1)
        distmat = _distance_matrix(qf, gf, self.metric)
        if self.rerank:
            re_ranking = _import_re_ranking()
            distmat = re_ranking(distmat.numpy(),
                                 _distance_matrix(qf, qf, self.metric).numpy(),
                                 _distance_matrix(gf, gf, self.metric).numpy())
        cmc, mAP, mINP = reid_rank_metrics(
            distmat,
            q_pids,
            g_pids,
            q_camids,
            g_camids,
            max_rank=self.max_rank,
            return_minp=True)
        metrics = dict(mAP=100 * mAP, mINP=100 * mINP)
        for k in self.ranks:
            metrics[f'rank{k}'] = 100 * float(cmc[min(k, len(cmc)) - 1])
        return metrics
