# Copyright (c) mmlogitkd contributors. All rights reserved.
"""A frozen teacher's logits, computed once and replayed by every student.

``tools/cache_teacher_logits.py CONFIG --epochs E`` runs the teacher over E
epochs of the training set with the seeded augmentation of
:class:`~mmlogitkd.datasets.SeededDataset` (every sample a pure function of
(seed, epoch, index)) and stores, in ``DIR``:

- ``logits.npy``: ``[E, N, C]`` head logits (fp32 or fp16), a numpy array
  read memory-mapped;
- ``cells.npy``: ``[E, N, C, K]`` scale-decoupled cell logits, when the
  config has a :class:`~mmlogitkd.losses.ScaleDecoupledLoss`;
- ``meta.json``: what the logits depend on (teacher weights' sha256,
  dataset length and ``data_fingerprint``, classes, the training pipeline,
  seed, the teacher's preprocessing, SDD scales), the dtype, epochs, and
  whether every row is written (``complete``);
- ``samples.npy``: ``[N, 2]`` uint64 per-sample digests of the data
  fingerprint (:mod:`~mmlogitkd.distillers.data_fingerprint`), to name the
  first sample of a run that differs;
- ``progress/``: the tool's per-rank bookkeeping of written batches.

A distiller with ``teacher_cache=DIR`` builds no teacher
(:class:`~mmlogitkd.distillers.teacher_source.CachedTeacher`): each sample
of a batch carries its ``(seeded_epoch, seeded_index)`` (metainfo set by
:class:`SeededDataset`, whose ``cycle`` replays epoch ``e mod E``), and
:meth:`TeacherLogitCache.lookup` reads their rows in one gather. A cache
that does not match the run is refused before training, naming the field
and both values.
"""
import io
import json
import os
import os.path as osp
from typing import Any, Iterable, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn

from mmlogitkd.utils.checkpoint import atomic_write_bytes
from .data_fingerprint import data_fingerprint, describe_sample
from .host_models import resolve_host_cfg

__all__ = [
    'TeacherLogitCache', 'TeacherCacheMismatch', 'CACHE_FORMAT',
    'normalized', 'train_pipeline_cfg',
    'epoch_units', 'rank_units', 'load_progress', 'save_progress',
    'write_json_atomic', 'check_teacher_cache_config',
    'teacher_preprocessor_cfg', 'save_sample_digests'
]

CACHE_FORMAT = 'mmlogitkd-teacher-cache'
#: 2: ``meta.json`` records the data's ``data_fingerprint`` (and
#: ``samples.npy`` its per-sample digests)
CACHE_VERSION = 2
META_FILE = 'meta.json'
LOGITS_FILE = 'logits.npy'
CELLS_FILE = 'cells.npy'
SAMPLES_FILE = 'samples.npy'
#: the parts of ``data_fingerprint`` in the order they are compared: name,
#: column of the per-sample digests (``samples.npy``), what it says
FINGERPRINT_PARTS = (('identity', None, 'what identifies a sample'),
                     ('samples_sha256', 0, 'the samples and their order'),
                     ('labels_sha256', 1, 'the labels'))
PROGRESS_DIR = 'progress'

REBUILD = ('Make a cache for this config with `python '
           'tools/cache_teacher_logits.py CONFIG --epochs E --out DIR`, '
           'or point model.teacher_cache to the one made for it.')


class TeacherCacheMismatch(ValueError):
    """A teacher cache made for another teacher, data or pipeline."""


def normalized(value: Any) -> Any:
    """``value`` as plain JSON data (config dicts, tuples, numpy scalars),
    so that a config and the cache's record compare equal when they say
    the same."""
    return json.loads(json.dumps(value, sort_keys=True, default=_jsonable))


def _jsonable(value):
    if hasattr(value, 'to_dict'):
        return value.to_dict()
    if isinstance(value, (np.generic, )):
        return value.item()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return repr(value)


def _describe(value: Any, limit: int = 400) -> str:
    text = json.dumps(value, sort_keys=True, default=_jsonable)
    return text if len(text) <= limit else text[:limit] + '...'


def write_json_atomic(path: str, data: dict) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it:
    a reader sees the old file or the new one, never a part."""
    atomic_write_bytes(
        json.dumps(data, indent=1, sort_keys=True,
                   default=_jsonable).encode(), path)


# --------------------------------------------------- what a cache is made of
def train_pipeline_cfg(dataset_cfg: Any) -> Optional[list]:
    """The ``pipeline`` of a training dataset config, looking through
    wrappers (``SeededDataset``, ``ClassBalancedDataset``, ...)."""
    seen = 0
    while isinstance(dataset_cfg, dict) and seen < 8:
        if 'pipeline' in dataset_cfg:
            return normalized(dataset_cfg['pipeline'])
        dataset_cfg = dataset_cfg.get('dataset')
        seen += 1
    return None


def teacher_preprocessor_cfg(teacher_cfg: Any, host_scope: Optional[str],
                             data_preprocessor: Optional[dict]) -> Any:
    """The teacher's resolved ``data_preprocessor`` config (its own, or the
    distiller's), which changes its logits as much as its weights do."""
    if isinstance(teacher_cfg, nn.Module):
        return None
    cfg = resolve_host_cfg(teacher_cfg, 'teacher', host_scope,
                           data_preprocessor)
    return normalized(cfg.get('data_preprocessor'))


# ------------------------------------------------------------------ reader
class TeacherLogitCache:
    """Read side of a teacher cache (see the module docstring).

    Args:
        cache_dir (str): The folder of ``meta.json`` and ``logits.npy``.
        require_complete (bool): Refuse a cache whose tool run did not
            finish. Defaults to True.
    """

    def __init__(self, cache_dir: str, require_complete: bool = True) -> None:
        self.cache_dir = cache_dir
        meta_path = osp.join(cache_dir, META_FILE)
        if not osp.isfile(meta_path):
            raise FileNotFoundError(
                f'teacher_cache "{cache_dir}" has no {META_FILE}: not a '
                f'teacher cache (or not made yet). {REBUILD}')
        try:
            with open(meta_path) as f:
                meta = json.load(f)
        except (OSError, ValueError) as err:
            raise ValueError(f'teacher_cache "{cache_dir}": unreadable '
                             f'{META_FILE} ({err}). {REBUILD}') from None
        if not isinstance(meta, dict) or meta.get('format') != CACHE_FORMAT:
            raise ValueError(f'teacher_cache "{cache_dir}": {META_FILE} is '
                             f'not a {CACHE_FORMAT} record. {REBUILD}')
        if meta.get('version') != CACHE_VERSION:
            raise ValueError(
                f'teacher_cache "{cache_dir}": format version '
                f'{meta.get("version")}, this mmlogitkd reads version '
                f'{CACHE_VERSION} (which records a fingerprint of the '
                'training data, checked before training): remake the '
                f'cache. {REBUILD}')
        if require_complete and not meta.get('complete'):
            raise ValueError(
                f'teacher_cache "{cache_dir}" is incomplete (its '
                'tools/cache_teacher_logits.py run did not finish): run the '
                'same command again, it continues where it stopped.')
        self.meta = meta
        self.epochs = int(meta['epochs'])
        self.length = int(meta['dataset_length'])
        self.num_classes = int(meta['num_classes'])
        self.teacher_sha256 = meta['teacher_sha256']
        self.has_cells = meta.get('cells') is not None
        self._logits: Optional[np.ndarray] = None
        self._cells: Optional[np.ndarray] = None

    # -- checks
    def check(self, field: str, current: Any, what: str = 'this run') -> None:
        """Refuse the cache when its ``field`` differs from ``current``
        (compared as plain JSON data), naming the field and both values."""
        recorded = self.meta.get(field)
        if normalized(recorded) != normalized(current):
            raise TeacherCacheMismatch(
                f'teacher_cache "{self.cache_dir}" does not match {what}: '
                f'{field} differs, cache {_describe(recorded)} vs '
                f'{what} {_describe(current)}. {REBUILD}')

    def check_views(self, sdd_scales: Optional[Sequence[int]]) -> None:
        """A run with a scale-decoupled loss needs the cache's cell logits,
        made at the same ``sdd_scales``."""
        if sdd_scales is None:
            return
        if not self.has_cells:
            raise TeacherCacheMismatch(
                f'teacher_cache "{self.cache_dir}" does not match this run: '
                'sdd_scales differs, cache None (no cell logits: made '
                f'without a ScaleDecoupledLoss) vs this run '
                f'{list(sdd_scales)}. {REBUILD}')
        self.check('sdd_scales', list(sdd_scales))

    def check_data(self,
                   dataset: Any,
                   what: str = 'this run (train_dataloader.dataset)') -> None:
        """Refuse the cache unless ``dataset`` holds the cache's samples,
        in its order, with its labels (``data_fingerprint``: the ordered
        file names, or in-memory images' bytes, and labels), naming the
        part that differs, both hashes and the first sample that does."""
        recorded = self.meta.get('data_fingerprint')
        if not isinstance(recorded, dict):
            raise TeacherCacheMismatch(
                f'teacher_cache "{self.cache_dir}" records no '
                'data_fingerprint, so its rows cannot be matched to the '
                'samples of this run: remake the cache. ' + REBUILD)
        current, digests = data_fingerprint(dataset)
        for part, column, kind in FINGERPRINT_PARTS:
            if recorded.get(part) == current[part]:
                continue
            where = ''
            if column is not None:
                index = self._first_difference(digests, column)
                sample = None if index is None else describe_sample(
                    dataset, index)
                if sample is not None:
                    where = (f'; sample {index} is the first that differs, '
                             f'in this run {sample}')
            raise TeacherCacheMismatch(
                f'teacher_cache "{self.cache_dir}" does not match {what}: '
                f'data_fingerprint differs in {kind} ({part}), cache '
                f'{recorded.get(part)!r} vs this run {current[part]!r}{where}.'
                ' A cache holds the teacher logits of the samples it was '
                f'made on, in their order (another split?). {REBUILD}')

    def _first_difference(self, digests: np.ndarray,
                          column: int) -> Optional[int]:
        """The first index where ``digests[:, column]`` differs from the
        cache's ``samples.npy`` (None without the file)."""
        try:
            cached = np.load(osp.join(self.cache_dir, SAMPLES_FILE))
        except (OSError, ValueError):
            return None
        if cached.shape != digests.shape:
            return None
        differ = np.flatnonzero(cached[:, column] != digests[:, column])
        return int(differ[0]) if differ.size else None

    # -- data
    @property
    def logits(self) -> np.ndarray:
        if self._logits is None:
            self._logits = self._open(LOGITS_FILE)
        return self._logits

    @property
    def cells(self) -> np.ndarray:
        if self._cells is None:
            self._cells = self._open(CELLS_FILE)
        return self._cells

    def _open(self, name: str) -> np.ndarray:
        array = np.load(osp.join(self.cache_dir, name), mmap_mode='r')
        expected = tuple(self.meta[name.split('.')[0] + '_shape'])
        if array.shape != expected:
            raise ValueError(
                f'teacher_cache "{self.cache_dir}": {name} has shape '
                f'{array.shape}, {META_FILE} says {expected} (a partial '
                f'copy?). {REBUILD}')
        return array

    def __getstate__(self) -> dict:
        # memory maps are reopened where the object lands, not copied
        state = dict(self.__dict__)
        state['_logits'] = state['_cells'] = None
        return state

    def keys(self, data_samples: Sequence) -> Tuple[np.ndarray, np.ndarray]:
        """The cache rows of a batch: its samples' ``seeded_epoch`` and
        ``seeded_index`` (plain ints of their metainfo, no tensor read)."""
        try:
            keys = np.array(
                [(s.seeded_epoch, s.seeded_index) for s in data_samples],
                dtype=np.int64).reshape(-1, 2)
        except AttributeError:
            raise KeyError(
                'teacher_cache: a training sample carries no (seeded_epoch, '
                'seeded_index) metainfo. Cached teacher logits are indexed '
                "by them: train with tools/train.py, whose seeded data "
                'pipeline (SeededDataset, epoch-based loop, DefaultSampler, '
                'seeded_data not False) sets them.') from None
        epochs, index = keys[:, 0], keys[:, 1]
        if len(keys) and (epochs.max() >= self.epochs or epochs.min() < 0
                          or index.max() >= self.length or index.min() < 0):
            raise IndexError(
                f'teacher_cache "{self.cache_dir}" holds epochs 0..'
                f'{self.epochs - 1} of samples 0..{self.length - 1}; a batch '
                f'asked for epochs {sorted(set(epochs.tolist()))} and '
                f'indices {index.min()}..{index.max()}. The dataset must '
                f'replay augmentation with cycle={self.epochs} '
                '(tools/train.py sets it from the cache).')
        return epochs, index

    def lookup(self, data_samples: Sequence, device: torch.device,
               views: bool = False
               ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Teacher logits ``[B, C]`` (and cells ``[B, C, K]`` when
        ``views``) of a batch, float32 on ``device``: one vectorised gather
        of the memory-mapped rows per array, one copy to the device."""
        epochs, index = self.keys(data_samples)
        logits = _to_device(self.logits[epochs, index], device)
        cells = _to_device(self.cells[epochs, index],
                           device) if views else None
        return logits, cells


def _to_device(rows: np.ndarray, device: torch.device) -> torch.Tensor:
    tensor = torch.from_numpy(np.ascontiguousarray(rows))
    return tensor.to(device=device, dtype=torch.float32, non_blocking=True)


def check_teacher_cache_config(cfg) -> None:
    """Config-level checks of ``model.teacher_cache``, before anything is
    built (``tools/train.py``, after
    :func:`~mmlogitkd.apis.apply_seeded_data`): the training data
    must be seeded (each sample's key is its cache row), ``randomness.seed``
    and the training pipeline must be the cache's, and the dataset replays
    the augmentation of epoch ``e mod E`` (``cycle=E``). Adds
    :class:`~mmlogitkd.engine.TeacherCacheHook` (dataset length and
    fingerprint)."""
    model = cfg.get('model')
    cache_dir = model.get('teacher_cache') if isinstance(model,
                                                         dict) else None
    if cache_dir is None:
        return
    cache = TeacherLogitCache(cache_dir)
    loader = cfg.get('train_dataloader') or {}
    dataset = loader.get('dataset') if isinstance(loader, dict) else None
    if not (isinstance(dataset, dict) and str(dataset.get('type', '')).
            rsplit('.', 1)[-1] == 'SeededDataset'):
        raise ValueError(
            'model.teacher_cache needs the seeded data pipeline (each '
            "sample's (epoch, index) is its cache row): epoch-based "
            'training with a DefaultSampler, without seeded_data=False.')
    seed = (cfg.get('randomness') or {}).get('seed')
    if seed is None:
        raise ValueError(
            'model.teacher_cache needs a fixed randomness.seed (the cache '
            f'was made with seed {cache.meta.get("seed")}): without one '
            'every run draws other augmentations.')
    cache.check('seed', seed, 'this config (randomness.seed)')
    cache.check('pipeline', train_pipeline_cfg(dataset),
                'this config (train_dataloader.dataset.pipeline)')
    cycle = cfg.get('augment_cycle') or dataset.get('cycle')
    if cycle is not None and cycle != cache.epochs:
        raise TeacherCacheMismatch(
            f'teacher_cache "{cache_dir}" does not match this config: '
            f'epochs differs, cache {cache.epochs} vs this config '
            f'(augment_cycle) {cycle}. Leave augment_cycle unset with a '
            'teacher cache: it is the cache\'s epochs.')
    dataset['cycle'] = cache.epochs
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(
            str(h.get('type', '')).rsplit('.', 1)[-1] == 'TeacherCacheHook'
            for h in hooks if isinstance(h, dict)):
        hooks.append(dict(type='mmlogitkd.TeacherCacheHook'))
        cfg.custom_hooks = hooks


# ------------------------------------------------------------- write side
def epoch_units(order: Sequence[int], batch_size: int) -> List[np.ndarray]:
    """The batches of one epoch in the training run's order: ``order``
    (the sampler's indices) cut into ``batch_size`` pieces, the last one
    shorter. The tool runs the teacher on exactly these batches."""
    order = np.asarray(order, dtype=np.int64)
    return [
        order[i:i + batch_size] for i in range(0, len(order), batch_size)
    ]


def rank_units(num_units: int, rank: int, world_size: int) -> range:
    """Units (batches) of ``rank`` among ``world_size``: every
    ``world_size``-th one, so ranks write disjoint rows and together all of
    them."""
    if not 0 <= rank < world_size:
        raise ValueError(f'rank {rank} is not in [0, {world_size})')
    return range(rank, num_units, world_size)


def _progress_files(cache_dir: str) -> List[str]:
    folder = osp.join(cache_dir, PROGRESS_DIR)
    if not osp.isdir(folder):
        return []
    return sorted(
        osp.join(folder, f) for f in os.listdir(folder)
        if f.startswith('rank') and f.endswith('.npz'))


def load_progress(cache_dir: str, shape: Tuple[int, int]
                  ) -> Tuple[np.ndarray, np.ndarray]:
    """Union of every rank's written units ``[E, units]`` (bool) and the
    largest fp16 errors they recorded (``[max abs, max relative]``)."""
    done = np.zeros(shape, dtype=bool)
    err = np.zeros(2)
    for path in _progress_files(cache_dir):
        with np.load(path) as data:
            if data['done'].shape == shape:
                done |= data['done'].astype(bool)
                err = np.maximum(err, data['err'])
    return done, err


def save_sample_digests(cache_dir: str, digests: np.ndarray) -> None:
    """Write the ``[N, 2]`` per-sample digests of the data fingerprint
    (:func:`~mmlogitkd.distillers.data_fingerprint.data_fingerprint`)
    atomically, before the ``meta.json`` that records their hashes."""
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(digests, dtype=np.uint64))
    atomic_write_bytes(buffer.getvalue(), osp.join(cache_dir, SAMPLES_FILE))


def save_progress(cache_dir: str, rank: int, done: np.ndarray,
                  err: Iterable[float]) -> None:
    """Write rank ``rank``'s bookkeeping atomically (call after the memory
    maps are flushed: a unit marked done is on disk)."""
    buffer = io.BytesIO()
    np.savez(buffer, done=done.astype(bool), err=np.asarray(err, float))
    atomic_write_bytes(buffer.getvalue(),
                       osp.join(cache_dir, PROGRESS_DIR, f'rank{rank}.npz'))
