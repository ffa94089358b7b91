# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Time forward + backward of every logit loss on the shapes training sees.

For each shape it prints each loss's median time per forward + backward, its
ratio to ``KDLoss`` measured in the same run, and the peak memory the call
allocates beyond its inputs. Also timed: the official per-term masked loop
form of LDRLD, ``soft_rank`` against torchsort's compiled kernel (when
torchsort is installed) at (256, 100) and (64, 1000), and SDD with K = 21
cells against its base loss on the same N x K rows.

Example:
    python tools/analysis/benchmark_losses.py --repeat 50 --threads 1
"""
import argparse
import math
import platform
import statistics
import time
from itertools import combinations

import torch
import torch.nn.functional as F

from mmlogitkd.losses import (
    DISTLoss,
    DKDLoss,
    KDLoss,
    LDRLDLoss,
    NKDLoss,
    RankAlignLoss,
    ScaleDecoupledLoss,
    SKDLoss,
    TTMLoss,
    WSLDLoss,
    WTTMLoss,
    soft_rank,
)

SHAPES = [
    ('CIFAR-100', 64, 100),
    ('ImageNet', 256, 1000),
    ('detection RoIs', 1024, 81),
    ('Market-1501', 64, 751),
]
SOFT_RANK_SHAPES = [(256, 100), (64, 1000)]
NUM_CELLS = 21  # scales (1, 2, 4)


def ldrld_official_loop(student, teacher, k=7, temperature=4.0, alpha=1.0,
                        beta=1.0, gamma=0.05):
    """LDRLD as the official code computes it: one full-width softmax pair
    per term (21 pairs + the group for k = 7), classes outside the term
    masked with ``-1000``, then the remaining classes the same way."""
    T = temperature
    N = student.shape[0]
    top = student.detach().topk(k, 1, True, True).indices
    terms = list(combinations(range(k), 2)) + [tuple(range(k))]
    local = 0
    for term in terms:
        if len(term) == 2:
            r, r2 = term[0] + 1, term[1] + 1
            w = 2.0 / (1.5 + abs(r - r2)) * math.exp(-gamma * (r + r2))
        else:
            w = 1.0
        mask = torch.ones_like(teacher).scatter_(1, top[:, list(term)], 0)
        p_t = F.softmax(teacher / T - 1000.0 * mask, dim=1)
        log_p_s = F.log_softmax(student / T - 1000.0 * mask, dim=1)
        local = local + w * F.kl_div(
            log_p_s, p_t, reduction='sum') * T**2 / N
    mask = torch.zeros_like(teacher).scatter_(1, top, 1)
    p_t = F.softmax(teacher / T - 1000.0 * mask, dim=1)
    log_p_s = F.log_softmax(student / T - 1000.0 * mask, dim=1)
    rntk = F.kl_div(log_p_s, p_t, reduction='sum') * T**2 / N
    return alpha * local / len(terms) + beta * rntk


def synchronize(device):
    """Wait for the device's queued work (a no-op on CPU), so that a timer
    measures the kernels and not just their launches."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_fwd_bwd(fn, leaf, repeat, warmup, clock=time.perf_counter):
    """Median seconds of ``fn().backward()`` (gradient reset each time);
    on CUDA each pass runs between two device synchronisations."""
    for _ in range(warmup):
        leaf.grad = None
        fn().backward()
    times = []
    for _ in range(repeat):
        leaf.grad = None
        synchronize(leaf.device)
        start = clock()
        fn().backward()
        synchronize(leaf.device)
        times.append(clock() - start)
    return statistics.median(times)


def peak_memory(fn, leaf):
    """Peak bytes allocated by one forward + backward beyond the tensors
    that exist before it (CUDA: the caching allocator's peak; CPU: the
    profiler's memory timeline). None when it cannot be measured."""
    leaf.grad = None
    if leaf.is_cuda:
        torch.cuda.synchronize()
        base = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        fn().backward()
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated() - base
    try:
        from torch.profiler import ProfilerActivity, profile
        from torch.profiler._memory_profiler import Action
        with profile(
                activities=[ProfilerActivity.CPU],
                profile_memory=True,
                record_shapes=True,
                with_stack=True) as prof:
            fn().backward()
        live = peak = 0
        created = set()
        for _, action, (key, _), size in prof._memory_profile().timeline:
            if action == Action.CREATE:
                created.add(key)
                live += size
            elif action == Action.DESTROY and key in created:
                live -= size
            peak = max(peak, live)
        return peak
    except Exception:  # private profiler API: report n/a, do not fail
        return None


class Table:

    def __init__(self, title):
        print(f'\n== {title} ==')
        print(f'{"loss":<32}{"fwd+bwd ms":>11}{"ratio":>8}  {"vs":<22}'
              f'{"peak MB":>8}')

    @staticmethod
    def row(name, seconds, ratio, against, peak):
        mem = 'n/a' if peak is None else f'{peak / 2**20:.2f}'
        print(f'{name:<32}{seconds * 1e3:>11.3f}{ratio:>7.2f}x  '
              f'{against:<22}{mem:>8}')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeat', type=int, default=60,
                        help='timed forward+backward passes per loss')
    parser.add_argument('--rounds', type=int, default=3,
                        help='the passes are split into this many rounds, '
                        'interleaved across the losses of a shape; the '
                        'reported time is the best round\'s median, which '
                        'keeps the ratios fair on a busy machine')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--threads', type=int, default=None,
                        help="torch intra-op threads (default: torch's)")
    parser.add_argument('--device', default='cpu',
                        help="'cpu' or 'cuda[:i]' (timed between "
                        'torch.cuda.synchronize() calls, after --warmup '
                        'passes)')
    parser.add_argument('--clock', choices=['wall', 'thread'],
                        default='wall',
                        help="'thread': CPU time of the calling thread "
                        '(with --threads 1 on CPU), which other jobs on a '
                        'shared machine barely disturb; needs --threads 1')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--no-official', action='store_true',
                        help='skip the slow official LDRLD loop')
    parser.add_argument('--no-sdd', action='store_true',
                        help='skip the SDD rows (the largest tensors)')
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if args.clock == 'thread' and (device.type != 'cpu'
                                   or torch.get_num_threads() != 1):
        parser.error('--clock thread measures one CPU thread: use it with '
                     '--device cpu --threads 1')
    clock = time.thread_time if args.clock == 'thread' else time.perf_counter
    try:
        import torchsort
    except ImportError:
        torchsort = None
    ts_version = getattr(torchsort, '__version__', 'installed') \
        if torchsort else 'not installed'
    if device.type == 'cuda':
        torch.backends.cuda.matmul.allow_tf32 = False  # float32 as on CPU
        where = f'{device} ({torch.cuda.get_device_name(device)})'
    else:
        where = str(device)
    print(f'torch {torch.__version__}, {where}, '
          f'{torch.get_num_threads()} thread(s), '
          f'{platform.processor() or platform.machine()}, '
          f'torchsort: {ts_version}')
    print(f'clock: {args.clock}; '
          f'{args.repeat} forward+backward passes per loss in '
          f'{args.rounds} interleaved rounds, best round\'s median; '
          'float32, reduction="mean"; peak MB = memory allocated by one '
          'pass beyond its inputs')

    def run(entries):
        """entries: (name, fn, leaf, baseline name or None, repeat scale)."""
        per_round = max(1, args.repeat // args.rounds)
        best = {}
        for _ in range(args.rounds):
            for name, fn, leaf, _, scale in entries:
                n = max(3, int(per_round * scale))
                sec = time_fwd_bwd(fn, leaf, n, args.warmup, clock)
                best[name] = min(best.get(name, math.inf), sec)
        return best, {name: peak_memory(fn, leaf)
                      for name, fn, leaf, _, _ in entries}

    g = torch.Generator().manual_seed(args.seed)
    summary = []
    for title, N, C in SHAPES:
        s = (torch.randn(N, C, generator=g) * 3).to(device).requires_grad_()
        t = (torch.randn(N, C, generator=g) * 3).to(device)
        y = torch.randint(0, C, (N, ), generator=g).to(device)
        modules = [
            ('KDLoss', KDLoss()),
            ('DKDLoss', DKDLoss()),
            ('NKDLoss', NKDLoss()),
            ('KDLoss standardize=True', KDLoss(standardize=True)),
            ('LDRLDLoss (k=7)', LDRLDLoss().to(device)),
            ('RankAlignLoss (l2)', RankAlignLoss()),
            ('DISTLoss', DISTLoss()),
            ('TTMLoss', TTMLoss()),
            ('WTTMLoss', WTTMLoss()),
            ('WSLDLoss', WSLDLoss()),
            ('SKDLoss', SKDLoss()),
        ]
        entries = [(name, (lambda m=m: m(s, t, y)), s, 'KDLoss', 1.0)
                   for name, m in modules]
        if not args.no_official:
            entries.append(('LDRLD official per-term loop',
                            lambda: ldrld_official_loop(s, t), s, 'KDLoss',
                            0.2))
        if not args.no_sdd:
            K = NUM_CELLS
            # cells laid out as scale_decoupled_logits returns them: a
            # [N, C, K] view of [N, K, C] memory
            sc = (torch.randn(N, K, C, generator=g) * 3).to(device)
            tc = (torch.randn(N, K, C, generator=g) * 3).to(device)
            sc.requires_grad_()
            rows, trows = sc.view(N * K, C), tc.view(N * K, C)
            yk = y.repeat_interleave(K)
            for base_name, cfg in (('KDLoss', dict(type='KDLoss')),
                                   ('DKDLoss', dict(type='DKDLoss'))):
                sdd = ScaleDecoupledLoss(loss=cfg).to(device)
                base = ScaleDecoupledLoss(loss=cfg).loss.to(device)
                entries.append((f'{base_name} on N*{K} rows',
                                (lambda b=base: b(rows, trows, yk)), sc,
                                None, 1.0))
                entries.append(
                    (f'SDD({base_name}), K={K}',
                     (lambda m=sdd: m(sc.transpose(1, 2), tc.transpose(1, 2),
                                      y)), sc, f'{base_name} on N*{K} rows',
                     1.0))
        best, peaks = run(entries)
        table = Table(f'{title} (N={N}, C={C})')
        for name, _, _, against, _ in entries:
            ref = best[against] if against else best[name]
            table.row(name, best[name], best[name] / ref, against or 'itself',
                      peaks[name])
        ld = best['LDRLDLoss (k=7)'] / best['KDLoss']
        line = f'{title}: LDRLD {ld:.2f}x KD (target <= 3)'
        if not args.no_official:
            speedup = best['LDRLD official per-term loop'] / best[
                'LDRLDLoss (k=7)']
            line += f', {speedup:.1f}x faster than the loop (target >= 5)'
        if not args.no_sdd:
            ratios = [
                best[f'SDD({b}), K={NUM_CELLS}'] /
                best[f'{b} on N*{NUM_CELLS} rows']
                for b in ('KDLoss', 'DKDLoss')
            ]
            line += (f', SD-KD {ratios[0]:.2f}x / SD-DKD {ratios[1]:.2f}x '
                     'base on N*K rows (target <= 1.5)')
        summary.append(line)

    table = Table('soft_rank, regularization_strength=1 (fwd+bwd of sum)')
    for N, C in SOFT_RANK_SHAPES:
        x = (torch.randn(N, C, generator=g) * 3).to(device).requires_grad_()
        entries = [(f'soft_rank ({N}, {C})',
                    lambda: soft_rank(x, 1.0).sum(), x, None, 1.0)]
        if torchsort is not None:
            entries.append((f'torchsort.soft_rank ({N}, {C})',
                            lambda: torchsort.soft_rank(
                                x, regularization='l2',
                                regularization_strength=1.0).sum(), x,
                            f'soft_rank ({N}, {C})', 1.0))
        best, peaks = run(entries)
        for name, _, _, against, _ in entries:
            ref = best[against] if against else best[name]
            table.row(name, best[name], best[name] / ref, against or 'itself',
                      peaks[name])
        ours = best[f'soft_rank ({N}, {C})']
        mem = (peaks[f'soft_rank ({N}, {C})'] or 0) / (N * C * 8)
        if torchsort is not None:
            ref = best[f'torchsort.soft_rank ({N}, {C})']
            summary.append(f'soft_rank ({N}, {C}): {ref / ours:.2f}x '
                           'torchsort\'s speed (target >= 1); peak '
                           f'{mem:.1f} x N*C*8 bytes')
        else:
            summary.append(f'soft_rank ({N}, {C}): torchsort not installed; '
                           f'peak {mem:.1f} x N*C*8 bytes')
    print('\nsummary')
    for line in summary:
        print('  ' + line)


if __name__ == '__main__':
    main()
