# Copyright (c) mmlogitkd contributors. All rights reserved.
"""DIST: knowledge distillation from a stronger teacher (Huang et al.,
NeurIPS 2022; official code ``hunto/DIST_KD``, its ``classification``
submodule ``hunto/image_classification_sota``,
``lib/models/losses/dist_kd.py``)."""
from typing import Optional

import torch
from torch import Tensor

from mmlogitkd.registry import MODELS
from .base import TermsBatchLoss, batch_loss
from .functional import standardize_logits

__all__ = ['DISTLoss', 'pearson_correlation', 'dist_relations']


def pearson_correlation(a: Tensor,
                        b: Tensor,
                        dim: int = 1,
                        eps: float = 1e-8) -> Tensor:
    """Pearson correlation of ``a`` and ``b`` along ``dim``, the official
    form: the cosine similarity of the centred vectors,
    ``<a_c, b_c> / (||a_c|| * ||b_c|| + eps)`` (``eps`` added to the
    product of the norms, so a constant vector correlates 0).

    Args:
        a (Tensor): ``[N, C]``.
        b (Tensor): ``[N, C]``.
        dim (int): The axis the correlation runs over: 1 (over classes,
            one value per row) or 0 (over rows, one value per class).
        eps (float): Defaults to 1e-8, the official value.

    Returns:
        Tensor: ``[N]`` for ``dim=1``, ``[C]`` for ``dim=0``.
    """
    a = a - a.mean(dim, keepdim=True)
    b = b - b.mean(dim, keepdim=True)
    norms = torch.linalg.vector_norm(a, dim=dim) * torch.linalg.vector_norm(
        b, dim=dim)
    return (a * b).sum(dim) / (norms + eps)


def dist_relations(student: Tensor,
                   teacher: Tensor,
                   temperature: float = 1.0) -> Tensor:
    """DIST's inter- and intra-class relation losses, each times ``T^2``.

    With ``P = softmax(z / T)`` (``[N, C]``):
    inter ``T^2 * (1 - mean_n rho(P_s[n, :], P_t[n, :]))`` (per row, over
    the classes) and intra ``T^2 * (1 - mean_c rho(P_s[:, c], P_t[:, c]))``
    (per class, over the batch), ``rho`` :func:`pearson_correlation`.

    Args:
        student (Tensor): ``[N, C]`` student logits.
        teacher (Tensor): ``[N, C]`` teacher logits (detached here).
        temperature (float): T. Defaults to 1.0.

    Returns:
        Tensor: ``[2]``: the inter- and the intra-class relation losses.
    """
    T = temperature
    p_s = torch.softmax(student / T, dim=1)
    p_t = torch.softmax(teacher.detach() / T, dim=1)
    inter = 1 - pearson_correlation(p_s, p_t, dim=1).mean()
    intra = 1 - pearson_correlation(p_s, p_t, dim=0).mean()
    return torch.stack((inter, intra)) * (T * T)


@MODELS.register_module()
class DISTLoss(TermsBatchLoss):
    """DIST: inter- and intra-class Pearson relations of the probabilities.

    Call: ``loss(student [N, C], teacher [N, C], target [N] | None) ->
    scalar``; N >= 2, C >= 2; ``target`` is accepted and ignored. A
    batch-level loss (:class:`BatchLogitLoss`): the intra-class relation is
    a correlation over the batch, so there is no per-row value, and
    ``weight``, ``avg_factor`` and ``reduction='none'`` are refused. The
    two relations of the last call (``T^2`` included, before ``beta`` /
    ``gamma``) are logged as ``inter`` and ``intra``
    (:class:`~mmlogitkd.losses.mlkd_loss.TermsBatchLoss`).

    With ``P = softmax(z / T)`` (``[N, C]``) and ``rho(a, b) = <a - mean a,
    b - mean b> / (||a - mean a|| * ||b - mean b|| + 1e-8)``::

        L = T^2 * (beta  * (1 - (1/N) sum_n rho(P_s[n, :], P_t[n, :]))
                 + gamma * (1 - (1/C) sum_c rho(P_s[:, c], P_t[:, c])))

    (:func:`dist_relations`), times ``loss_weight``.

    Follows the official ``DIST.forward`` of
    ``hunto/image_classification_sota`` ``lib/models/losses/dist_kd.py``
    (the ``classification`` submodule of ``hunto/DIST_KD``) exactly: the
    ``1e-8`` added to the product of the norms (not to each norm, not
    under a square root), the ``T^2`` factor on both relations (the paper's
    equations have none), means over rows and over classes. The official
    training wrapper (``lib/models/losses/kd_loss.py``) runs the teacher
    under ``no_grad``; here the teacher is detached. ``kd_method='dist'``
    there is T = 1, ``'dist_t4'`` T = 4 (CIFAR-100), and the total is
    ``ori_loss_weight * CE + kd_loss_weight * L`` (the CE is the task
    loss's here; ``kd_loss_weight`` is ``loss_weight``).

    Other implementations: mmrazor's ``mmrazor/models/losses/
    dist_loss.py`` (``DISTLoss(inter_loss_weight, intra_loss_weight, tau,
    loss_weight, teacher_detach=True)``) and torchdistill's ``DISTLoss``
    (``torchdistill/losses/mid_level.py``, with a configurable ``eps``)
    compute the same value; the older copy in ``hunto/DIST_KD``
    ``segmentation/losses/dist_kd.py`` has no temperature (T = 1) and
    takes ``[N, C, H, W]`` maps as ``N * H * W`` rows.

    Departures: ``standardize=True`` applies logit standardization
    (seed 002) to both logits before the temperature, for both relations
    (not in the official code). The official code defines the loss for any
    N and C (a constant vector correlates 0, so N = 1 gives an intra term
    of exactly ``T^2``, C = 1 an inter term of ``T^2``, with no gradient);
    those are not correlations, so N < 2 and C < 2 raise a ``ValueError``.

    Args:
        beta (float): Weight of the inter-class relation. Defaults to 1.0.
        gamma (float): Weight of the intra-class relation. Defaults to 1.0.
        temperature (float): T. Defaults to 1.0 (the official ImageNet
            setting; 4 on CIFAR-100).
        **kwargs: ``loss_weight`` and ``standardize`` of
            :class:`BatchLogitLoss`.
    """

    min_classes = 2
    term_names = ('inter', 'intra')

    def __init__(self,
                 beta: float = 1.0,
                 gamma: float = 1.0,
                 temperature: float = 1.0,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if not temperature > 0:
            raise ValueError(f'DISTLoss temperature must be > 0, got '
                             f'{temperature}')
        for name, value in (('beta', beta), ('gamma', gamma)):
            if not value >= 0:
                raise ValueError(f'DISTLoss {name} must be >= 0, got {value}')
        self.beta = float(beta)
        self.gamma = float(gamma)
        self.temperature = float(temperature)

    @batch_loss
    def forward(self, student: Tensor, teacher: Tensor,
                target: Optional[Tensor]) -> Tensor:
        """Scalar DIST (before ``loss_weight``) of prepared ``[N, C]``
        logits (see :func:`~mmlogitkd.losses.batch_loss` for the call)."""
        self.check_rows(
            student, 'its intra-class relation is a Pearson correlation over '
            'the batch')
        if self.standardize:
            student = standardize_logits(student)
            teacher = standardize_logits(teacher)
        terms = self.keep_terms(
            dist_relations(student, teacher, self.temperature))
        return self.beta * terms[0] + self.gamma * terms[1]

    def extra_repr(self) -> str:
        return (f'beta={self.beta}, gamma={self.gamma}, temperature='
                f'{self.temperature}, {super().extra_repr()}')
