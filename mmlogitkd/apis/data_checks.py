# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Dataset checks before a run: files where the config says, not empty, not
malformed; each problem names its config key and path."""
import inspect
import json
import os
import os.path as osp
from typing import Iterator, List, Optional, Tuple

from mmengine.config import Config

from mmlogitkd.datasets.market1501 import (
    SPLIT_DIRS,
    Market1501Dataset,
    _parse_name,
    market1501_data_dir,
)
from mmlogitkd.registry import DATASETS
from .coco_checks import coco_image_problems

__all__ = ['check_data_paths', 'iter_dataset_cfgs']

_DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _iter_datasets(dataset_cfg, key):
    """Yield ``(key, cfg)`` for a dataset and the ones it wraps."""
    if not isinstance(dataset_cfg, dict):
        return
    yield key, dataset_cfg
    if 'dataset' in dataset_cfg:
        yield from _iter_datasets(dataset_cfg['dataset'], f'{key}.dataset')
    for i, sub in enumerate(dataset_cfg.get('datasets', []) or []):
        yield from _iter_datasets(sub, f'{key}.datasets[{i}]')


def iter_dataset_cfgs(cfg: Config) -> Iterator[Tuple[str, dict]]:
    """Yield ``(config key, dataset config)`` for the dataset of every data
    loader of ``cfg`` and for the datasets it wraps, e.g.
    ``('train_dataloader.dataset.dataset', {...})``."""
    for loader in _DATALOADERS:
        loader_cfg = cfg.get(loader)
        if isinstance(loader_cfg, dict):
            yield from _iter_datasets(
                loader_cfg.get('dataset'), f'{loader}.dataset')


def _dataset_class(dataset_type, scope: Optional[str] = None):
    """The class a dataset ``type`` names (in ``scope``, the config's
    ``default_scope``), or None when no registry knows it."""
    if not isinstance(dataset_type, str):
        return dataset_type if inspect.isclass(dataset_type) else None
    if scope is None or '.' in dataset_type:
        return DATASETS.get(dataset_type)
    with DATASETS.switch_scope_and_registry(scope) as registry:
        return registry.get(dataset_type)


def _default_download(dataset_type, scope: Optional[str] = None) -> bool:
    """The ``download`` default of a dataset class, False if it has none."""
    cls = _dataset_class(dataset_type, scope)
    if cls is None:
        return False
    param = inspect.signature(cls.__init__).parameters.get('download')
    return bool(param is not None and param.default is True)


#: annotation files parsed in full by :func:`check_data_paths` up to this
#: size; larger ones (COCO train2017 is ~450 MB) only get their first and
#: last characters checked, and fail naming the file where they load
_PARSE_LIMIT = 32 * 1024 * 1024


def _has_file(folder: str) -> bool:
    """Whether a folder holds a file at any depth; stops at the first one,
    so a full ImageNet folder costs one directory listing."""
    for _, _, files in os.walk(folder, followlinks=True):
        if any(not f.startswith('.') for f in files):
            return True
    return False


def _edge_chars(path: str, size: int):
    """The first and last non-blank characters of a file (a truncated
    download loses its last one), read without loading the file."""
    with open(path, 'rb') as f:
        head = f.read(4096).lstrip()
        f.seek(max(0, size - 4096))
        tail = f.read().rstrip()
    return head[:1].decode('latin-1'), tail[-1:].decode('latin-1')


def _check_json(path: str, size: int) -> Optional[str]:
    """What is wrong with a JSON annotation file (COCO layout), or None."""
    first, last = _edge_chars(path, size)
    if not first:
        return 'is empty (only blanks)'
    if first not in '{[' or last not in '}]':
        return (f'is not a complete JSON document (starts with {first!r}, '
                f'ends with {last!r}): a truncated download or another '
                'format?')
    if size > _PARSE_LIMIT:
        return None
    try:
        with open(path, encoding='utf-8') as f:
            content = json.load(f)
    except (ValueError, UnicodeDecodeError) as err:
        return f'does not parse as JSON: {err}'
    if isinstance(content, dict) and 'images' in content and not content[
            'images']:
        return 'lists no images (COCO "images" is empty)'
    return None


def _check_label_lines(path: str, num_classes: Optional[int]
                       ) -> Optional[str]:
    """What is wrong with an mmpretrain ``CustomDataset`` annotation list
    (``<path> <label>`` per line), or None."""
    with open(path, encoding='utf-8', errors='replace') as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            fields = line.rsplit(' ', 1)
            try:
                label = int(fields[1]) if len(fields) == 2 else None
            except ValueError:
                label = None
            if label is None:
                return (f'line {lineno} is not "<image path> <class '
                        f'index>": {line[:120]!r}')
            if label < 0:
                return (f'line {lineno}: negative class index {label}: '
                        f'{line[:120]!r}')
            if num_classes is not None and label >= num_classes:
                return (f'line {lineno}: class index {label} is outside '
                        f'the {num_classes} classes of the dataset\'s '
                        f'`classes` (0..{num_classes - 1}): {line[:120]!r}')
    return None


def _num_dataset_classes(ds: dict, cls) -> Optional[int]:
    """The length of a dataset's ``classes``: from its config (a list, or a
    file with one class per line, as mmpretrain reads it) or its class's
    ``METAINFO``; None when neither gives them."""
    classes = ds.get('classes')
    if classes is None and isinstance(ds.get('metainfo'), dict):
        classes = ds['metainfo'].get('classes')
    if classes is None:
        classes = (getattr(cls, 'METAINFO', None) or {}).get('classes')
    if isinstance(classes, (list, tuple)):
        return len(classes)
    if isinstance(classes, str):
        path = osp.expanduser(classes)
        if osp.isfile(path):
            with open(path, encoding='utf-8') as f:
                return sum(1 for line in f if line.strip())
    return None


def _check_ann_file(path: str, ds: dict, cls) -> Optional[str]:
    """What is wrong with an existing annotation file, or None: empty, a
    JSON file that does not parse, a label list with a malformed line or a
    label outside the dataset's classes."""
    if osp.isdir(path):
        return None
    size = osp.getsize(path)
    if size == 0:
        return 'is empty'
    if path.lower().endswith('.json'):
        return _check_json(path, size)
    if size > _PARSE_LIMIT or not path.lower().endswith('.txt'):
        return None
    try:
        from mmpretrain.datasets import CustomDataset
    except ImportError:  # pragma: no cover - depends on the env
        return None
    if cls is not None and issubclass(cls, CustomDataset) and ds.get(
            'with_label', True):
        return _check_label_lines(path, _num_dataset_classes(ds, cls))
    return None


def _image_folder(ds: dict, root: str) -> Optional[str]:
    """The image folder of a folder dataset (no ``ann_file``):
    ``data_root`` joined with ``data_prefix`` (a str or ``img_path``)."""
    prefix = ds.get('data_prefix', '')
    if isinstance(prefix, dict):
        prefix = prefix.get('img_path', prefix.get('img', ''))
    if not isinstance(prefix, str):
        return None
    return prefix if osp.isabs(prefix) else osp.join(root, prefix)


def is_coco_dataset(cls) -> bool:
    """Whether a dataset class is (derived from) mmdet's ``CocoDataset``,
    told without importing mmdet."""
    return cls is not None and any(
        c.__name__ == 'CocoDataset' and c.__module__.startswith('mmdet.')
        for c in getattr(cls, '__mro__', ()))


def _is_remote(path: str, backend_args) -> bool:
    return '://' in path or (isinstance(backend_args, dict) and
                             backend_args.get('backend', 'local') != 'local')


def _coco_image_folder(ds: dict, cls, root: str,
                       ann_path: str) -> Optional[str]:
    """The folder mmdet's ``CocoDataset`` joins with the json's
    ``file_name``s (``data_root`` + ``data_prefix.img``), or None when the
    dataset is not one, or its images are not on a local disk."""
    prefix = ds.get('data_prefix')
    if not is_coco_dataset(cls) or not ann_path.lower().endswith(
            '.json') or not isinstance(prefix, dict) or not isinstance(
                prefix.get('img'), str):
        return None
    img_dir = prefix['img']
    if root and not osp.isabs(img_dir):
        img_dir = osp.join(root, img_dir)
    if _is_remote(img_dir, ds.get('backend_args')):
        return None
    return img_dir or '.'


def _file_size(path: str) -> int:
    """The size of a file in bytes, -1 when it cannot be stat'ed (a broken
    link)."""
    try:
        return os.stat(path).st_size
    except OSError:
        return -1


def _check_market1501(ds: dict, key: str) -> List[str]:
    """The split folders of a Market-1501 config exist, hold images, and
    every file name follows ``<pid>_c<camera>...`` (names only: cheap)."""
    data_dir = market1501_data_dir(ds.get('data_root'))
    problems = []
    for folder in SPLIT_DIRS.get(ds.get('split', 'train'), ()):
        path = osp.join(data_dir, folder)
        if not osp.isdir(path):
            problems.append(f'{key}: Market-1501 folder "{path}" does not '
                            'exist')
            continue
        names = [n for n in os.listdir(path)
                 if n.endswith('.jpg') and not n.startswith('.')]
        if not names:
            problems.append(f'{key}: Market-1501 folder "{path}" holds no '
                            '.jpg images')
        for name in names:
            try:
                _parse_name(osp.join(path, name))
            except ValueError:
                problems.append(
                    f'{key}: Market-1501 file name "{osp.join(path, name)}" '
                    'does not follow "<pid>_c<camera>s<seq>_<frame>_<box>'
                    '.jpg" (pid -1..1501, camera 1..6)')
                break
        # one stat per image (~33k): an empty file fails here, named, not
        # in OpenCV's decoder at its first read
        empty = [n for n in names if _file_size(osp.join(path, n)) in (0, -1)]
        if empty:
            problems.append(
                f'{key}: {len(empty)} of the {len(names)} images in "{path}" '
                f'are empty files (0 bytes) or broken links: '
                f'"{osp.join(path, empty[0])}"'
                + (f' and {len(empty) - 1} more' if len(empty) > 1 else '') +
                '. Replace them with the original images (a failed copy or '
                'unzip?) or remove them')
    return problems


def _check_dataset(ds: dict, key: str, scope: Optional[str]) -> List[str]:
    """Problems of one dataset config (not its wrapped datasets)."""
    cls = _dataset_class(ds.get('type'), scope)
    root = ds.get('data_root') or ''
    if root and not osp.exists(root):
        return [f'{key}.data_root = "{root}" does not exist']
    ann = ds.get('ann_file') or ''
    if isinstance(ann, str) and ann:
        ann_path = ann if osp.isabs(ann) else osp.join(root, ann)
        if not osp.exists(ann_path):
            return [f'{key}.ann_file: "{ann_path}" does not exist']
        problem = _check_ann_file(ann_path, ds, cls)
        if problem:
            return [f'{key}.ann_file: "{ann_path}" {problem}']
        img_dir = _coco_image_folder(ds, cls, root, ann_path)
        return coco_image_problems(key, ann_path, img_dir) if img_dir else []
    if cls is not None and issubclass(cls, Market1501Dataset) and root:
        return _check_market1501(ds, key)
    try:
        from mmpretrain.datasets import CustomDataset
    except ImportError:  # pragma: no cover - depends on the env
        return []
    if cls is not None and issubclass(cls, CustomDataset) and root:
        folder = _image_folder(ds, root)
        if folder and not osp.isdir(folder):
            return [f'{key}: image folder "{folder}" (data_root + '
                    'data_prefix) does not exist']
        if folder and not _has_file(folder):
            return [f'{key}: image folder "{folder}" (data_root + '
                    'data_prefix) holds no files']
    if root and osp.isdir(root) and not os.listdir(root):
        return [f'{key}.data_root = "{root}" is an empty folder']
    return []


def check_data_paths(cfg: Config) -> None:
    """Fail before training when a dataset's files are not where the config
    says, or are empty or malformed, naming the config key and the path.

    Checked per dataset (wrapped ones too): ``data_root`` exists and is not
    an empty folder; ``ann_file`` exists, is not empty, a ``.json`` one is a
    complete JSON document (parsed in full, COCO ``images`` non-empty, up to
    32 MB; larger ones are checked at both ends), a ``CustomDataset`` label
    list has ``<path> <label>`` lines with labels inside its ``classes``;
    a folder dataset's image folder exists and holds files; a Market-1501
    split folder holds ``.jpg`` images named ``<pid>_c<camera>...``, none
    of them empty; every image a COCO-style json names (mmdet's
    ``CocoDataset`` and its subclasses) is on disk and not empty
    (:func:`~mmlogitkd.apis.coco_checks.coco_image_problems`: the count and
    the first paths are named).

    Datasets that may fetch themselves (``download=True``, given or by the
    dataset class's default, as mmpretrain's CIFAR) are left alone. A
    distiller's ``teacher_ckpt`` (a local path) is checked too.
    """
    problems = []
    scope = cfg.get('default_scope')
    for key, ds in iter_dataset_cfgs(cfg):
        if ds.get('download', _default_download(ds.get('type'), scope)):
            continue
        problems += _check_dataset(ds, key, scope)
    model = cfg.get('model')
    ckpt = model.get('teacher_ckpt') if isinstance(model, dict) else None
    if isinstance(ckpt, str) and not ckpt.startswith(
            ('http://', 'https://')) and not osp.isfile(osp.expanduser(ckpt)):
        problems.append(f'model.teacher_ckpt = "{ckpt}" does not exist')
    if problems:
        raise FileNotFoundError(
            'The config points at data that is not there or not usable:\n  '
            + '\n  '.join(dict.fromkeys(problems)) +
            '\nPrepare the dataset and the teacher as described in the '
            'README of the config folder, or override the paths with '
            '--cfg-options.')
