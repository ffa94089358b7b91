# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Which samples a dataset holds, in which order, with which labels: a
cheap fingerprint that a teacher cache records when it is made and checks
before training (:meth:`~mmlogitkd.distillers.TeacherLogitCache.
check_data`), so that a cache of another split of the same length is not
replayed against the wrong images.

A sample is identified by what its annotation says, without reading an
image file: its ``img_path`` (relative to its dataset's ``data_root``, so
that the data may move), or, for datasets held in memory (CIFAR, the
digits), a hash of its raw image array's bytes. One pass over the
annotations (``get_data_info``), O(N); wrappers are looked through as the
training run indexes them: ``ConcatDataset`` parts in order, and any
wrapper with ``get_data_info`` (``SeededDataset``, ``NoisyLabelDataset``,
``RepeatDataset``, ``ClassBalancedDataset``) as it maps its indices and
labels.
"""
import hashlib
import itertools
from typing import Iterator, Optional, Tuple

import numpy as np

__all__ = ['data_fingerprint', 'describe_sample']

#: what identifies a sample: its file, its in-memory image, or nothing
#: (a dataset without ``get_data_info``: its length only)
IDENTITY_KINDS = ('img_path', 'img bytes', 'none')


def _digest64(text: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(text.encode(), digest_size=8).digest(), 'little')


def _data_root(dataset) -> str:
    """The ``data_root`` of ``dataset`` or of the dataset it wraps."""
    for _ in range(8):
        own = vars(dataset) if hasattr(dataset, '__dict__') else {}
        if own.get('data_root'):
            return str(own['data_root'])
        dataset = own.get('dataset')
        if dataset is None:
            break
    return ''


def _identity(info: dict, root: str) -> Tuple[str, str]:
    """``(kind, identity)`` of one sample's annotation."""
    path = info.get('img_path')
    if path is not None:
        path = str(path)
        if root and path.startswith(root):
            path = path[len(root):].lstrip('/\\')
        return 'img_path', path
    img = info.get('img')
    if isinstance(img, np.ndarray):
        digest = hashlib.blake2b(np.ascontiguousarray(img).tobytes(),
                                 digest_size=12)
        digest.update(f'{img.shape}{img.dtype}'.encode())
        return 'img bytes', digest.hexdigest()
    return 'none', ''


def _label(label) -> str:
    if label is None:
        return ''
    value = np.asarray(label)
    if value.ndim == 0:
        return str(value.item())
    return ','.join(str(v) for v in value.ravel().tolist())


def _records(dataset) -> Iterator[Tuple[str, str, str]]:
    """``(kind, identity, label)`` of every sample of ``dataset``, in the
    order of its indices."""
    parts = getattr(dataset, 'datasets', None)
    if isinstance(parts, (list, tuple)):  # ConcatDataset
        for part in parts:
            yield from _records(part)
        return
    get_info = getattr(dataset, 'get_data_info', None)
    if get_info is None:
        yield from itertools.repeat(('none', '', ''), len(dataset))
        return
    root = _data_root(dataset)
    for index in range(len(dataset)):
        info = get_info(index)
        yield (*_identity(info, root), _label(info.get('gt_label')))


def data_fingerprint(dataset) -> Tuple[dict, np.ndarray]:
    """The fingerprint of ``dataset``'s samples, in order.

    Args:
        dataset: A map-style dataset (built, any wrappers).

    Returns:
        tuple[dict, np.ndarray]: ``dict(identity, samples_sha256,
        labels_sha256)`` (``identity``: what identifies a sample, one of
        :data:`IDENTITY_KINDS` or several joined by ``+``; the sha256 of
        the per-sample digests) and those digests, ``[N, 2]`` uint64
        (identity, label), to find the first sample that differs.
    """
    kinds = set()
    digests = []
    for kind, identity, label in _records(dataset):
        kinds.add(kind)
        digests.append((_digest64(f'{kind}\0{identity}'), _digest64(label)))
    digests = np.asarray(digests, dtype=np.uint64).reshape(-1, 2)
    fingerprint = dict(
        identity='+'.join(sorted(kinds)) or 'none',
        samples_sha256=hashlib.sha256(
            np.ascontiguousarray(digests[:, 0]).tobytes()).hexdigest(),
        labels_sha256=hashlib.sha256(
            np.ascontiguousarray(digests[:, 1]).tobytes()).hexdigest())
    return fingerprint, digests


def describe_sample(dataset, index: int) -> Optional[str]:
    """Sample ``index`` of ``dataset`` as the fingerprint sees it (for a
    message; reads the annotations up to it)."""
    for kind, identity, label in itertools.islice(_records(dataset), index,
                                                  index + 1):
        what = {
            'img_path': f'"{identity}"',
            'img bytes': f'an image whose bytes hash to {identity}'
        }.get(kind, 'a sample')
        return f'{what} with label {label or "none"}'
    return None
