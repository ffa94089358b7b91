# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Slow, independent reference forms of the losses, written from the formulas
in METHODS.md and the official code: loops over rows, terms and cells, no
batching tricks, no code shared with ``mmlogitkd.losses``. All differentiable
with plain autograd so that gradients can be compared too."""
import math
from itertools import combinations

import torch


def log_softmax(z):
    """1-d log-softmax written out (max-shifted log-sum-exp)."""
    m = z.max()
    return z - (m + torch.log(torch.exp(z - m).sum()))


def kl(log_p, log_q):
    """KL(p || q) of 1-d log-probabilities, with 0 * log 0 = 0."""
    p = torch.exp(log_p)
    return (p * (log_p - log_q)).sum()


def standardize(z, eps=1e-7):
    """LS of each row: unbiased std, as in the LS paper's code."""
    out = []
    for row in z:
        n = row.numel()
        mean = row.sum() / n
        std = torch.sqrt(((row - mean)**2).sum() / (n - 1))
        out.append((row - mean) / (std + eps))
    return torch.stack(out)


def kd_ref(s, t, T):
    rows = [kl(log_softmax(t[i] / T), log_softmax(s[i] / T)) * T * T
            for i in range(s.shape[0])]
    return torch.stack(rows)


def dkd_ref(s, t, y, alpha, beta, T):
    rows = []
    for i in range(s.shape[0]):
        yi = int(y[i])
        others = [j for j in range(s.shape[1]) if j != yi]
        ls, lt = log_softmax(s[i] / T), log_softmax(t[i] / T)
        # binary [p_y, 1 - p_y]; log(1 - p_y) = log sum_{j != y} p_j
        bs = torch.stack((ls[yi], torch.logsumexp(ls[others], 0)))
        bt = torch.stack((lt[yi], torch.logsumexp(lt[others], 0)))
        tckd = kl(bt, bs)
        nckd = kl(log_softmax(t[i, others] / T), log_softmax(s[i, others] / T))
        rows.append((alpha * tckd + beta * nckd) * T * T)
    return torch.stack(rows)


def nkd_ref(s, t, y, T, gamma):
    rows = []
    for i in range(s.shape[0]):
        yi = int(y[i])
        others = [j for j in range(s.shape[1]) if j != yi]
        p_t = torch.exp(log_softmax(t[i]))[yi].detach()
        loss_t = -p_t * log_softmax(s[i])[yi]
        q_t = torch.exp(log_softmax(t[i, others] / T))
        log_q_s = log_softmax(s[i, others] / T)
        loss_non = -gamma * T * T * (q_t * log_q_s).sum()
        rows.append(loss_t + loss_non)
    return torch.stack(rows)


def adw(a, b, gamma):
    r, r2 = a + 1, b + 1
    return 2.0 / (1.5 + abs(r - r2)) * math.exp(-gamma * (r + r2))


def ldrld_ref(s, t, k, T, gamma, alpha, beta, topk_from='student'):
    """Per-term loop of the official LDRLD (every pair, then the group, each
    its own restricted softmax; the remaining classes last), per row, with
    the restricted softmaxes taken over exactly the selected classes."""
    N, C = s.shape
    src = s if topk_from == 'student' else t
    top = torch.topk(src.detach(), k, 1, True, True).indices
    terms = [(comb, adw(comb[0], comb[1], gamma))
             for comb in combinations(range(k), 2)]
    terms.append((tuple(range(k)), 1.0))
    rows = []
    for i in range(N):
        local = 0
        for comb, w in terms:
            cls = top[i, list(comb)]
            local = local + w * kl(
                log_softmax(t[i, cls] / T), log_softmax(s[i, cls] / T))
        local = local / len(terms)
        rest = [j for j in range(C) if j not in set(top[i].tolist())]
        if rest:
            rntk = kl(log_softmax(t[i, rest] / T), log_softmax(s[i, rest] / T))
        else:
            rntk = s.new_zeros(())
        rows.append((alpha * local + beta * rntk) * T * T)
    return torch.stack(rows)


def ldrld_official_batch(s, t, k, T, gamma=0.05):
    """The official code literally (``-1000`` masks, full-width softmaxes,
    batch sums); returns ``(L_local, L_RNTK)``, batch means."""
    F = torch.nn.functional
    N = s.shape[0]
    top = s.topk(k, 1, True, True).indices
    combs = list(combinations(range(k), 2)) + [tuple(range(k))]
    total = 0
    for comb in combs:
        w = adw(comb[0], comb[1], gamma) if len(comb) == 2 else 1.0
        mask = torch.ones_like(t).scatter_(1, top[:, list(comb)], 0).bool()
        p_t = F.softmax(t / T - 1000.0 * mask, dim=1)
        log_p_s = F.log_softmax(s / T - 1000.0 * mask, dim=1)
        total = total + w * F.kl_div(log_p_s, p_t, reduction='sum') * T**2 / N
    mask = torch.zeros_like(t).scatter_(1, top, 1).bool()
    p_t = F.softmax(t / T - 1000.0 * mask, dim=1)
    log_p_s = F.log_softmax(s / T - 1000.0 * mask, dim=1)
    rntk = F.kl_div(log_p_s, p_t, reduction='sum') * T**2 / N
    return total / len(combs), rntk


def pav_decreasing(y):
    """Pool adjacent violators, one row: argmin_{v_1 >= ... >= v_n} ||v - y||.

    Returns the solution and its blocks (lists of positions); adjacent
    blocks with equal means are pooled, as in torchsort."""
    blocks = []  # [sum, count, first position]
    for i, v in enumerate(y):
        blocks.append([v, 1, i])
        while len(blocks) > 1 and (blocks[-2][0] / blocks[-2][1] <=
                                   blocks[-1][0] / blocks[-1][1]):
            total, count, _ = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    sol, parts = [], []
    for total, count, first in blocks:
        sol += [total / count] * count
        parts.append(list(range(first, first + count)))
    return sol, parts


def soft_rank_ref(values, eps):
    """torchsort's l2 soft rank, one row at a time in plain Python:
    ``theta = x / eps``, descending sort ``s``, ``v = PAV(s - (n..1))``,
    rank = ``s - v`` put back in place. Returns ranks and, per row, the
    sort order and blocks (for :func:`soft_rank_vjp_ref`)."""
    out, info = [], []
    for row in values.tolist():
        n = len(row)
        theta = [x / eps for x in row]
        order = sorted(range(n), key=lambda j: -theta[j])
        s = [theta[j] for j in order]
        w = list(range(n, 0, -1))
        v, parts = pav_decreasing([a - b for a, b in zip(s, w)])
        rank = [0.0] * n
        for pos, j in enumerate(order):
            rank[j] = s[pos] - v[pos]
        out.append(rank)
        info.append((order, parts))
    return torch.tensor(out, dtype=torch.float64), info


def soft_rank_vjp_ref(grad, info, eps):
    """``grad^T d rank / d x``: identity minus block averaging, / eps."""
    out = []
    for g_row, (order, parts) in zip(grad.tolist(), info):
        g_sorted = [g_row[j] for j in order]
        res_sorted = list(g_sorted)
        for block in parts:
            mean = sum(g_sorted[p] for p in block) / len(block)
            for p in block:
                res_sorted[p] -= mean
        res = [0.0] * len(order)
        for pos, j in enumerate(order):
            res[j] = res_sorted[pos] / eps
        out.append(res)
    return torch.tensor(out, dtype=torch.float64)


def rank_align_ref(rank_s, rank_t, mode):
    rows = []
    for rs, rt in zip(rank_s, rank_t):
        if mode == 'l2':
            rows.append(((rs - rt)**2).sum() / rs.numel())
        elif mode == 'l1':
            rows.append((rs - rt).abs().sum() / rs.numel())
        else:
            a, b = rs - rs.mean(), rt - rt.mean()
            denom = torch.sqrt((a * a).sum() * (b * b).sum())
            # a constant rank vector has no correlation: rho = 0
            rho = (a * b).sum() / denom if denom > 0 else rs.new_zeros(())
            rows.append(1 - rho)
    return torch.stack(rows)


def sdd_ref(student_cells, teacher_cells, y, per_row_loss, comp_weight):
    """Per-cell loop of SDD: loss of each cell, weights from the teacher's
    argmax consistency with the global cell, sum / (N K)."""
    N, C, K = student_cells.shape
    total = 0
    for k in range(K):
        losses = per_row_loss(student_cells[:, :, k], teacher_cells[:, :, k],
                              y)
        for n in range(N):
            g_ok = int(teacher_cells[n, :, 0].argmax()) == int(y[n])
            c_ok = int(teacher_cells[n, :, k].argmax()) == int(y[n])
            w = 1.0 if (k == 0 or g_ok == c_ok) else comp_weight
            total = total + w * losses[n]
    return total / (N * K)


def assert_ldrld_equals_official(s, t, k, alpha=10.5, beta=7.0, T=4.0):
    """``LDRLDLoss`` on ``[N, C]`` float64 logits equals
    :func:`ldrld_official_batch`, value and student gradient."""
    from mmlogitkd.losses import LDRLDLoss
    s1 = s.clone().requires_grad_()
    s2 = s.clone().requires_grad_()
    ours = LDRLDLoss(alpha=alpha, beta=beta, k=k, temperature=T)(s1, t)
    local, rntk = ldrld_official_batch(s2, t, k, T)
    ref = alpha * local + beta * rntk
    torch.testing.assert_close(ours, ref, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(
        torch.autograd.grad(ours, s1)[0],
        torch.autograd.grad(ref, s2)[0],
        rtol=1e-10,
        atol=1e-12)
