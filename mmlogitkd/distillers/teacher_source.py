# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Where a distiller's teacher logits come from: one interface,
:class:`TeacherSource`, and two implementations, the teacher run online
(:class:`OnlineTeacher`) and its logits read from a teacher cache
(:class:`CachedTeacher`). A distiller holds one of them and never asks
which."""
import os.path as osp
from abc import ABCMeta, abstractmethod
from typing import Any, Callable, Collection, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from torch import Tensor

from mmlogitkd.models.converters import extract_state_dict
from mmlogitkd.utils.checkpoint import load_checkpoint_file, state_dict_sha256
from .checkpoint_loading import (
    DISTILLER_OPT_IN,
    load_state_dict_strictly,
    load_teacher_checkpoint,
)
from .host_models import build_host_model, logit_width
from .teacher_cache import TeacherLogitCache, teacher_preprocessor_cfg

#: How a task adapter runs one model on a batch: ``(model, inputs) ->
#: (logits [N, C], views [N, C, K] or None)``.
TeacherForward = Callable[[nn.Module, Tensor], Tuple[Tensor,
                                                     Optional[Tensor]]]


class TeacherSource(metaclass=ABCMeta):
    """The teacher of a distiller, behind one interface.

    Made from the teacher's config by :func:`build_teacher_source`; the
    distiller checks :attr:`arch` against the student, then calls
    :meth:`attach`. From then on it gives:

    - the teacher's logits of a batch, ``[N, C]``, and its view logits
      ``[N, C, K]`` when asked (:meth:`logits`), without gradient;
    - the sha256 of the teacher's weights (:meth:`sha256`), which
      checkpoints record and are checked against
      (:mod:`~mmlogitkd.distillers.teacher_checksum`, using
      :attr:`holds_weights` and :meth:`compares_saved`);
    - the teacher model itself to an adapter that needs more than logits
      (:meth:`require_model`), where there is one.

    Args:
        arch (nn.Module): The teacher's modules as built.
        ckpt (str, optional): ``teacher_ckpt``.

    Attributes:
        arch (nn.Module | None): The teacher's modules (names, shapes,
            classes) for the distiller's build-time checks.
    """

    #: whether the teacher's weights are part of the distiller (saved as
    #: ``teacher.*`` with ``save_teacher``, loaded back from checkpoints)
    holds_weights: bool

    def __init__(self, arch: Optional[nn.Module],
                 ckpt: Optional[str]) -> None:
        self.arch = arch
        self.ckpt = ckpt

    @property
    @abstractmethod
    def preprocessor(self) -> Optional[nn.Module]:
        """The teacher's data preprocessor; None when no teacher input is
        made (:class:`~mmlogitkd.distillers.DistillDataPreprocessor`)."""

    @abstractmethod
    def attach(self, distiller: nn.Module) -> None:
        """Load what the teacher needs and make it the distiller's
        ``teacher`` attribute, once the build-time checks have passed."""

    @abstractmethod
    def logits(self,
               forward: TeacherForward,
               inputs: Tensor,
               data_samples: Sequence,
               views: bool = False) -> Tuple[Tensor, Optional[Tensor]]:
        """The teacher's logits of one batch, without gradient.

        Args:
            forward (callable): How the adapter runs a model:
                ``(model, inputs [N, ...]) -> (logits [N, C], views
                [N, C, K] or None)``.
            inputs (Tensor): ``[N, ...]`` the teacher's preprocessed batch.
            data_samples (Sequence): The batch's ``N`` data samples (a
                cache reads their ``seeded_epoch`` / ``seeded_index``).
            views (bool): Whether view logits are needed.

        Returns:
            tuple[Tensor, Tensor | None]: ``[N, C]`` logits and, when
            ``views``, ``[N, C, K]`` view logits.
        """

    @abstractmethod
    def sha256(self) -> str:
        """sha256 of the teacher's weights
        (:func:`~mmlogitkd.utils.checkpoint.state_dict_sha256`)."""

    @abstractmethod
    def compares_saved(self, names: Collection[str]) -> bool:
        """Whether teacher weights of these names, found in a checkpoint,
        are compared with this teacher by checksum."""

    @abstractmethod
    def require_model(self, user: str) -> nn.Module:
        """The teacher model, for ``user`` (an adapter) that runs its parts
        itself."""

    def keep_eval(self) -> None:
        """Undo a distiller's ``train()`` on the teacher: it stays in eval
        mode for the whole run."""

    @abstractmethod
    def check_views(self, scales: Optional[Sequence[int]],
                    check_model: Callable[[nn.Module], None]) -> None:
        """Check that view logits at ``scales`` (None: no views) can be
        had; ``check_model(model)`` checks a model that makes them."""

    def check_batch_augments(self, augments: List[str]) -> None:
        """Check the student's batch augments (names) against where the
        teacher's logits come from."""

    def check_train_dataset(self, dataset: Any) -> None:
        """Check the built training dataset before the first iteration
        (:class:`~mmlogitkd.engine.TeacherCacheHook`)."""


class OnlineTeacher(TeacherSource):
    """The teacher model, run in every training step.

    Built in its host library's scope, loaded strictly from ``teacher_ckpt``
    (missing / unexpected / mismatched keys named), frozen: no gradient,
    eval mode for the whole run, never re-initialised by ``init_weights``,
    left out of the optimizer by
    :class:`~mmlogitkd.engine.DistillOptimWrapperConstructor`, run under
    ``torch.no_grad``. It is the distiller's ``teacher`` child, so it moves
    with the distiller and its weights are ``teacher.*`` in its state dict.

    Args:
        cfg (dict | nn.Module): The teacher's config (or the model).
        ckpt (str, optional): ``teacher_ckpt``; None leaves the weights
            random (tests and smoke runs).
        host_scope (str, optional): Scope of unprefixed types.
        data_preprocessor (dict, optional): Used when the teacher's config
            has none.
        allow_unsafe (bool): Read ``ckpt`` without the safe allow-list.
    """

    holds_weights = True

    def __init__(self,
                 cfg: Any,
                 ckpt: Optional[str] = None,
                 host_scope: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 allow_unsafe: bool = False) -> None:
        super().__init__(
            build_host_model(cfg, 'teacher', host_scope, data_preprocessor),
            ckpt)
        self.allow_unsafe = allow_unsafe
        self._digest: Optional[Tuple[Optional[tuple], str]] = None

    @property
    def preprocessor(self) -> nn.Module:
        return self.arch.data_preprocessor

    def attach(self, distiller: nn.Module) -> None:
        if self.ckpt is not None:
            load_teacher_checkpoint(self.arch, self.ckpt, self.allow_unsafe)
        self.arch.eval()
        for param in self.arch.parameters():
            param.requires_grad_(False)
        # its weights are teacher_ckpt's: init_weights skips an initialised
        # child
        self.arch._is_init = True
        distiller.teacher = self.arch

    def logits(self,
               forward: TeacherForward,
               inputs: Tensor,
               data_samples: Sequence,
               views: bool = False) -> Tuple[Tensor, Optional[Tensor]]:
        with torch.no_grad():
            return forward(self.arch, inputs)

    def sha256(self) -> str:
        """Cached while no teacher tensor changes."""
        tensors = self.arch.state_dict()
        try:
            # version counters move on any in-place write (load, copy_)
            key = tuple((k, v.data_ptr(), v._version)
                        for k, v in tensors.items())
        except RuntimeError:  # inference tensors have no version counter
            key = None
        if key is None or self._digest is None or self._digest[0] != key:
            self._digest = (key, state_dict_sha256(tensors))
        return self._digest[1]

    def compares_saved(self, names: Collection[str]) -> bool:
        # with teacher_ckpt=None, a saved teacher is the only one there is;
        # a partial one is reported by the strict load's missing keys
        return self.ckpt is not None and set(names) == set(
            self.arch.state_dict())

    def require_model(self, user: str) -> nn.Module:
        return self.arch

    def keep_eval(self) -> None:
        self.arch.eval()

    def check_views(self, scales: Optional[Sequence[int]],
                    check_model: Callable[[nn.Module], None]) -> None:
        if scales:
            check_model(self.arch)


class CachedTeacher(TeacherSource):
    """The teacher's logits read from a teacher cache
    (:class:`~mmlogitkd.distillers.TeacherLogitCache`): no teacher is built
    (the distiller's ``teacher`` is None and takes no memory), each
    sample's logits are the cache's row of its (epoch, index), which the
    seeded data pipeline replays.

    Until :meth:`attach`, :attr:`arch` is the teacher's modules on the
    ``meta`` device, for the checks. :meth:`attach` refuses the cache,
    naming the field and both values, unless it was made from ``ckpt``
    (sha256), for the classes of the student's logits and the teacher's
    preprocessing; the data (dataset length and fingerprint, pipeline,
    seed) is checked by
    :func:`~mmlogitkd.distillers.teacher_cache.check_teacher_cache_config`
    and :meth:`check_train_dataset`.

    Args:
        cache_dir (str): The cache folder (``model.teacher_cache``).
        cfg (dict | nn.Module): The teacher's config.
        ckpt (str): ``teacher_ckpt``, which the cache was made from.
        host_scope (str, optional): Scope of unprefixed types.
        data_preprocessor (dict, optional): Used when the teacher's config
            has none.
        allow_unsafe (bool): Read ``ckpt`` without the safe allow-list.
    """

    holds_weights = False

    def __init__(self,
                 cache_dir: str,
                 cfg: Any,
                 ckpt: Optional[str] = None,
                 host_scope: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 allow_unsafe: bool = False) -> None:
        super().__init__(
            build_teacher_shell(cfg, 'teacher', host_scope,
                                data_preprocessor), ckpt)
        self.cache_dir = cache_dir
        self.cfg = cfg
        self.host_scope = host_scope
        self.data_preprocessor = data_preprocessor
        self.allow_unsafe = allow_unsafe
        self.cache: Optional[TeacherLogitCache] = None

    @property
    def preprocessor(self) -> None:
        return None  # the student's inputs only

    def attach(self, distiller: nn.Module) -> None:
        self.cache = TeacherLogitCache(self.cache_dir)
        if self.ckpt is None:
            raise ValueError(
                'model.teacher_cache needs model.teacher_ckpt: the cache is '
                'checked against the teacher checkpoint it was made from.')
        digest = checkpoint_sha256(self.arch, self.ckpt, self.allow_unsafe)
        self.cache.check('teacher_sha256', digest,
                         f'teacher_ckpt "{self.ckpt}"')
        self.cache.teacher_sha256 = digest
        num_classes = logit_width(distiller.student)
        if num_classes is not None:
            self.cache.check('num_classes', num_classes,
                             "the student's logits")
        self.cache.check(
            'teacher_data_preprocessor',
            teacher_preprocessor_cfg(self.cfg, self.host_scope,
                                     self.data_preprocessor), 'this config')
        self.arch = None  # the shell was for the checks only
        distiller.teacher = None

    def logits(self,
               forward: TeacherForward,
               inputs: Tensor,
               data_samples: Sequence,
               views: bool = False) -> Tuple[Tensor, Optional[Tensor]]:
        """One gather of the batch's rows (``forward`` is not run)."""
        return self.cache.lookup(data_samples, inputs.device, views=views)

    def sha256(self) -> str:
        """That of ``teacher_ckpt``, which the cache was checked against."""
        return self.cache.teacher_sha256

    def compares_saved(self, names: Collection[str]) -> bool:
        return True  # no model to compare names with: the checksum says

    def require_model(self, user: str) -> nn.Module:
        raise ValueError(
            f'{user} runs parts of the teacher model itself, which a '
            'teacher_cache does not build (it holds the teacher\'s logits '
            'only). Remove model.teacher_cache.')

    def check_views(self, scales: Optional[Sequence[int]],
                    check_model: Callable[[nn.Module], None]) -> None:
        self.cache.check_views(scales)

    def check_batch_augments(self, augments: List[str]) -> None:
        if augments:
            raise ValueError(
                'model.teacher_cache: the student\'s data_preprocessor '
                'mixes images across the batch (batch_augments: '
                f'{", ".join(augments)}), whose teacher logits a per-sample '
                'cache cannot hold. Remove the batch_augments or the '
                'teacher_cache.')

    def check_train_dataset(self, dataset: Any) -> None:
        """The dataset length is the cache's ``N``, its samples, order and
        labels are the cache's (``data_fingerprint``) and the dataset
        replays the cache's epochs (``cycle``)."""
        self.cache.check('dataset_length', len(dataset),
                         'this run (len(train_dataloader.dataset))')
        self.cache.check_data(dataset)
        cycle = getattr(dataset, 'cycle', None)
        if cycle != self.cache.epochs:
            raise ValueError(
                f'teacher_cache "{self.cache.cache_dir}": the training '
                f'dataset replays cycle={cycle} epochs of augmentation, the '
                f'cache holds {self.cache.epochs}: wrap it in '
                f'SeededDataset(cycle={self.cache.epochs}) (tools/train.py '
                'does).')


def build_teacher_source(cfg: Any,
                         ckpt: Optional[str] = None,
                         cache_dir: Optional[str] = None,
                         **kwargs) -> TeacherSource:
    """:class:`CachedTeacher` of ``cache_dir`` when there is one, else
    :class:`OnlineTeacher`; ``kwargs`` (``host_scope``,
    ``data_preprocessor``, ``allow_unsafe``) go to either."""
    if cache_dir is None:
        return OnlineTeacher(cfg, ckpt, **kwargs)
    return CachedTeacher(cache_dir, cfg, ckpt, **kwargs)


def build_teacher_shell(cfg: Any, role: str, host_scope: Optional[str],
                        data_preprocessor: Optional[dict]) -> nn.Module:
    """The teacher's modules without memory (``meta`` device: names,
    shapes, dtypes, classes), for the checks of a distiller that reads its
    logits from a cache; a model that cannot be made on ``meta`` is built
    on the CPU and dropped after the checks."""
    if isinstance(cfg, nn.Module):
        return cfg
    try:
        with torch.device('meta'):
            return build_host_model(cfg, role, host_scope,
                                    data_preprocessor)
    except Exception:  # some constructors read tensor values
        return build_host_model(cfg, role, host_scope, data_preprocessor)


def checkpoint_sha256(teacher: nn.Module, path: str,
                      allow_unsafe: bool = False) -> str:
    """sha256 of the teacher's weights as ``teacher_ckpt`` would load them
    into ``teacher`` (:func:`~mmlogitkd.utils.checkpoint.state_dict_sha256`
    of its ``state_dict`` after a strict load), computed from the file:
    ``teacher`` may live on the ``meta`` device (shapes and dtypes only)."""
    if not path.startswith(('http://', 'https://')) and not osp.isfile(
            osp.expanduser(path)):
        raise FileNotFoundError(
            f'teacher_ckpt "{path}" does not exist: a teacher cache is '
            'checked against the checkpoint it was made from.')
    checkpoint = load_checkpoint_file(
        path, what='teacher_ckpt', allow_unsafe=allow_unsafe,
        opt_in=DISTILLER_OPT_IN)
    state_dict = extract_state_dict(checkpoint)
    load_state_dict_strictly(teacher, state_dict, f'teacher_ckpt "{path}"',
                             'the teacher model')
    own = teacher.state_dict()
    # a strict load copies each tensor into the model's own dtype
    return state_dict_sha256(
        {k: state_dict[k].detach().to(v.dtype)
         for k, v in own.items()})
