# Copyright (c) mmlogitkd contributors. All rights reserved.
"""``LDRLDLoss(pair_weighting='uniform')``: the "without ADW" ablation of
LDRLD (main Tab. 5, suppl. sec. 3.2), every pair term weighted 1, against an
independent per-row, per-term loop in float64 (value and gradient)."""
from itertools import combinations

import pytest
import torch

from mmlogitkd.losses import LDRLDLoss
from .test_logit_losses import assert_matches, make_case


def uniform_loop(s, t, k, T, alpha, beta, topk_from='student'):
    """Per row: the 2-class KL of every pair of the top-k classes with
    weight 1, the k-class KL of the group with weight 1, their mean over the
    C(k, 2) + 1 terms (``L_local``), and the KL over the other C - k classes
    (``L_RNTK``); each softmax over exactly its classes, times T^2."""

    def kl(cls, i):
        log_p_t = torch.log_softmax(t[i, cls] / T, 0)
        log_p_s = torch.log_softmax(s[i, cls] / T, 0)
        return (log_p_t.exp() * (log_p_t - log_p_s)).sum()

    src = s if topk_from == 'student' else t
    rows = []
    for i in range(s.shape[0]):
        top = torch.topk(src[i].detach(), k).indices.tolist()
        groups = [[top[a], top[b]] for a, b in combinations(range(k), 2)]
        groups.append(top)
        local = sum(kl(g, i) for g in groups) / len(groups)
        rest = [j for j in range(s.shape[1]) if j not in top]
        rntk = kl(rest, i) if rest else s.new_zeros(())
        rows.append((alpha * local + beta * rntk) * T * T)
    return torch.stack(rows)


@pytest.mark.parametrize('case', ['normal', 'large', 'small', 'one_row'])
@pytest.mark.parametrize('k', [2, 3, 7, 10])
@pytest.mark.parametrize('topk_from', ['student', 'teacher'])
def test_uniform_pair_weights_match_loop(case, k, topk_from):
    s, t, _ = make_case(case, seed=3)
    loss = LDRLDLoss(alpha=2.0, beta=0.5, k=k, temperature=4.0,
                     topk_from=topk_from, pair_weighting='uniform')
    assert_matches(
        lambda a, b: loss(a, b),
        lambda a, b: uniform_loop(a, b, k, 4.0, 2.0, 0.5, topk_from), s, t)


def test_uniform_differs_from_adw_and_default_is_adw():
    s, t, _ = make_case('normal', seed=1)
    adw = LDRLDLoss(alpha=1.0, beta=0.0, k=5)
    assert adw.pair_weighting == 'adw'
    explicit = LDRLDLoss(alpha=1.0, beta=0.0, k=5, pair_weighting='adw')
    uniform = LDRLDLoss(alpha=1.0, beta=0.0, k=5, pair_weighting='uniform')
    assert torch.equal(adw(s, t), explicit(s, t))
    assert not torch.allclose(adw(s, t), uniform(s, t))
    assert torch.equal(uniform.pair_weight,
                       torch.ones_like(uniform.pair_weight))
    # the RNTK term does not depend on the pair weights
    rntk_a = LDRLDLoss(alpha=0.0, beta=1.0, k=5)(s, t)
    rntk_u = LDRLDLoss(alpha=0.0, beta=1.0, k=5, pair_weighting='uniform')(
        s, t)
    assert torch.equal(rntk_a, rntk_u)
    assert "pair_weighting='uniform'" in repr(uniform)


def test_bad_pair_weighting():
    with pytest.raises(ValueError, match='pair_weighting'):
        LDRLDLoss(pair_weighting='ones')
