# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Time ``reid_rank_metrics`` against torchreid's Python evaluator.

On a Market-1501-sized synthetic problem (3,368 queries x 15,913 gallery
samples, 751 identities, 6 cameras) it times
:func:`mmlogitkd.evaluation.reid_rank_metrics` (median of ``--repeat``
runs) and torchreid's ``evaluate_rank(..., use_metric_cuhk03=False,
use_cython=False)`` (once: it takes tens of seconds), checks that CMC and
mAP agree to 1e-6 and prints the speed-up.

The float32 distances are tie-free, so that torchreid's unstable sort and
our stable one rank alike: each row is a random permutation of 0..G-1, with
the samples of the query's identity pulled forward (``d / 64 + 1/128``,
never an integer) so that mAP is far from chance level.

Example:
    python tools/analysis/benchmark_reid_metric.py --threads 2 --repeat 5
"""
import argparse
import platform
import statistics
import time

import numpy as np
import torch

from mmlogitkd.evaluation import reid_rank_metrics


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--queries', type=int, default=3368)
    parser.add_argument('--gallery', type=int, default=15913)
    parser.add_argument('--pids', type=int, default=751)
    parser.add_argument('--cameras', type=int, default=6)
    parser.add_argument('--max-rank', type=int, default=50)
    parser.add_argument('--chunk-size', type=int, default=256)
    parser.add_argument(
        '--threads', type=int, default=2, help='torch.set_num_threads')
    parser.add_argument(
        '--repeat', type=int, default=5, help='runs of reid_rank_metrics')
    parser.add_argument(
        '--skip-torchreid',
        action='store_true',
        help='time reid_rank_metrics only')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def make_problem(num_q, num_g, num_pids, num_cams, seed):
    g = torch.Generator().manual_seed(seed)
    q_pids = torch.randint(num_pids, (num_q, ), generator=g)
    g_pids = torch.randint(num_pids, (num_g, ), generator=g)
    q_camids = torch.randint(num_cams, (num_q, ), generator=g)
    g_camids = torch.randint(num_cams, (num_g, ), generator=g)
    distmat = torch.empty(num_q, num_g)
    for q in range(num_q):
        distmat[q] = torch.randperm(num_g, generator=g)
    same = q_pids[:, None] == g_pids[None]
    distmat = torch.where(same, distmat / 64 + 1 / 128, distmat)
    return [t.numpy() for t in (distmat, q_pids, g_pids, q_camids, g_camids)]


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    problem = make_problem(args.queries, args.gallery, args.pids, args.cameras,
                           args.seed)
    print(f'{args.queries} queries x {args.gallery} gallery, {args.pids} '
          f'pids, {args.cameras} cameras, float32 distances; torch '
          f'{torch.__version__}, numpy {np.__version__}, {args.threads} '
          f'threads, {platform.processor() or platform.machine()}')

    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        cmc, mAP, mINP = reid_rank_metrics(
            *problem,
            max_rank=args.max_rank,
            chunk_size=args.chunk_size,
            return_minp=True)
        times.append(time.perf_counter() - start)
    ours = statistics.median(times)
    print(f'reid_rank_metrics: {ours:.3f} s median of {args.repeat} '
          f'(min {min(times):.3f}, max {max(times):.3f}); rank1 '
          f'{cmc[0]:.6f}, mAP {mAP:.6f}, mINP {mINP:.6f}')
    if args.skip_torchreid:
        return

    # Imported late: mmlogitkd (imported above) must shim torchvision first.
    from torchreid.reid.metrics.rank import evaluate_rank
    start = time.perf_counter()
    ref_cmc, ref_mAP = evaluate_rank(
        *problem,
        max_rank=args.max_rank,
        use_metric_cuhk03=False,
        use_cython=False)
    theirs = time.perf_counter() - start
    cmc_err = float(np.abs(cmc - ref_cmc).max())
    map_err = abs(mAP - ref_mAP)
    print(f'torchreid evaluate_rank (use_cython=False): {theirs:.3f} s; '
          f'rank1 {ref_cmc[0]:.6f}, mAP {ref_mAP:.6f}')
    print(f'max |CMC diff| {cmc_err:.2e}, |mAP diff| {map_err:.2e}: '
          f'{"match" if max(cmc_err, map_err) <= 1e-6 else "MISMATCH"}')
    print(f'speed-up: {theirs / ours:.1f}x')
    if max(cmc_err, map_err) > 1e-6:
        raise SystemExit('results differ from torchreid')


if __name__ == '__main__':
    main()
