# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Checks and defaults applied to a config before the Runner is built."""
import datetime
import difflib
import inspect
import json
import logging
import os
import os.path as osp
import re
import socket
import sys
from typing import Callable, Dict, List, Optional

import torch
import torch.distributed as dist
from mmengine.config import Config

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


def _dataset_class(dataset_type, scope: Optional[str] = None):
    """The class a dataset ``type`` names (in ``scope``, the config's
    ``default_scope``), or None when no registry knows it."""
    from mmlogitkd.registry import DATASETS
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


def _check_market1501(ds: dict, key: str) -> List[str]:
    """The split folders of a Market-1501 config exist, hold images, and
    every file name follows ``<pid>_c<camera>...`` (names only: cheap)."""
    from mmlogitkd.datasets.market1501 import (SPLIT_DIRS, _parse_name,
                                               market1501_data_dir)
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
        return [f'{key}.ann_file: "{ann_path}" {problem}'] if problem else []
    from mmlogitkd.datasets.market1501 import Market1501Dataset
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
    split folder holds ``.jpg`` images named ``<pid>_c<camera>...``.

    Datasets that may fetch themselves (``download=True``, given or by the
    dataset class's default, as mmpretrain's CIFAR) are left alone. A
    distiller's ``teacher_ckpt`` (a local path) is checked too.
    """
    problems = []
    scope = cfg.get('default_scope')
    for loader in _DATALOADERS:
        loader_cfg = cfg.get(loader)
        if not isinstance(loader_cfg, dict):
            continue
        for key, ds in _iter_datasets(
                loader_cfg.get('dataset'), f'{loader}.dataset'):
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


from mmlogitkd.utils.registry_hints import (UnknownTypeError,  # noqa: E402,F401
                                        explain_unknown_type,
                                        suggest_registered)


def check_registered_types(cfg: Config) -> None:
    """Fail before anything is built when ``model.type`` or a dataset
    ``type`` is unknown, naming the config key and the closest registered
    names (the types inside the student, the teacher and the distillation
    losses are checked by their builds, with the same hints)."""
    from mmlogitkd.registry import DATASETS, MODELS
    scope = cfg.get('default_scope')
    entries = []
    model = cfg.get('model')
    if isinstance(model, dict) and isinstance(model.get('type'), str):
        entries.append(('model.type', model['type'], model.get('_scope_'),
                        MODELS))
    for loader in _DATALOADERS:
        loader_cfg = cfg.get(loader)
        if not isinstance(loader_cfg, dict):
            continue
        for key, ds in _iter_datasets(
                loader_cfg.get('dataset'), f'{loader}.dataset'):
            if isinstance(ds.get('type'), str):
                entries.append((f'{key}.type', ds['type'], ds.get('_scope_'),
                                DATASETS))
    for key, type_name, own_scope, registry in entries:
        with registry.switch_scope_and_registry(own_scope or scope) as reg:
            if reg.get(type_name) is not None:
                continue
            error = explain_unknown_type(
                KeyError(f'{type_name} is not in the {reg.scope}::{reg.name}'
                         ' registry'), key)
        raise error


# ------------------------------------------------------------ work-dir lock
#: the lock file of a training run, in its work dir
LOCK_FILE = '.mmlogitkd.lock'
_HELD_LOCKS: Dict[str, object] = {}


class WorkDirLockedError(RuntimeError):
    """Another training run holds the work dir."""


def _launcher_rank(launcher: str) -> int:
    """The global rank of this process as its launcher set it (before any
    process group exists), 0 without a launcher."""
    if launcher in (None, 'none'):
        return 0
    names = {
        'pytorch': ('RANK', ),
        'slurm': ('SLURM_PROCID', ),
        'mpi': ('OMPI_COMM_WORLD_RANK', 'PMI_RANK'),
    }.get(launcher, ('RANK', ))
    for name in names:
        if name in os.environ:
            return int(os.environ[name])
    return 0


def lock_work_dir(work_dir: str, launcher: str = 'none'):
    """Hold ``<work_dir>/.mmlogitkd.lock`` for the life of this process, or
    fail at once when another run holds it.

    Two runs in one work dir would interleave their logs, overwrite each
    other's checkpoints and ``last_checkpoint``, and ``--resume`` would pick
    either. The lock is an exclusive ``fcntl.flock`` (released by the
    system when the process ends, a SIGKILL included), taken by the global
    rank 0 only: the ranks of one ``torchrun`` / slurm / mpi job share the
    work dir, and a second job fails on its rank 0, which stops its launcher.
    The file records the holder's PID, host, start time and command, for the
    message. ``flock`` is advisory and, on some network file systems, local
    to a host. Without ``fcntl`` (Windows) nothing is locked.

    Args:
        work_dir (str): The run's work dir (created if needed).
        launcher (str): ``cfg.launcher``; ranks other than 0 lock nothing.

    Returns:
        The open lock file (keep a reference while the run lives), or None
        when this process takes no lock.

    Raises:
        WorkDirLockedError: Another process holds the lock; the message
            names the work dir and that process.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    if _launcher_rank(launcher) != 0:
        return None
    work_dir = osp.abspath(work_dir)
    if work_dir in _HELD_LOCKS:
        return _HELD_LOCKS[work_dir]
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, LOCK_FILE)
    handle = open(path, 'a+', encoding='utf-8')
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip()
        handle.close()
        try:
            info = json.loads(holder)
            who = (f'PID {info.get("pid")} on {info.get("host")}, running '
                   f'since {info.get("started")}: {info.get("command")}')
        except ValueError:
            who = 'a process that has not written its PID yet'
        raise WorkDirLockedError(
            f'The work dir "{work_dir}" is in use by another training run '
            f'({who}); its lock is {path}. Two runs in one work dir would '
            'interleave their logs and overwrite each other\'s checkpoints. '
            'Wait for that run to end (or stop it), or give this one another '
            '--work-dir.') from None
    handle.seek(0)
    handle.truncate()
    handle.write(
        json.dumps(
            dict(
                pid=os.getpid(),
                host=socket.gethostname(),
                started=datetime.datetime.now().isoformat(timespec='seconds'),
                command=' '.join(sys.argv))) + '\n')
    handle.flush()
    _HELD_LOCKS[work_dir] = handle
    return handle


def unlock_work_dir(work_dir: str) -> None:
    """Release the lock :func:`lock_work_dir` took in this process (the end
    of the process releases it too)."""
    handle = _HELD_LOCKS.pop(osp.abspath(work_dir), None)
    if handle is not None:
        handle.close()


# ------------------------------------------------- reproducible data order
#: samplers whose indices a :class:`SeededSampler` may carry
_SEEDABLE_SAMPLERS = ('DefaultSampler', 'RandomIdentitySampler')


def _short_type(type_name) -> Optional[str]:
    return type_name.rsplit('.', 1)[-1] if isinstance(type_name,
                                                      str) else None


def apply_seeded_data(cfg: Config) -> bool:
    """Make the training data a pure function of (seed, epoch, sample
    index), so that a run is reproducible whatever its number of data
    workers and ``--resume`` continues it exactly.

    Wraps ``train_dataloader.dataset`` in
    :class:`~mmlogitkd.datasets.SeededDataset` (every sample's pipeline runs
    under RNGs seeded from (seed, epoch, index)), its sampler in
    :class:`~mmlogitkd.datasets.SeededSampler` (which hands the epoch to the
    dataset with every index, so persistent workers see it too), and adds
    :class:`~mmlogitkd.engine.SeededDataHook` (the runner's seed, the
    epoch, and the main process's RNGs reseeded at each epoch start).

    Applied to epoch-based training with a plain index sampler
    (``DefaultSampler``, ``RandomIdentitySampler``) and no batch sampler:
    the classification and re-id configs. Iteration-based loops (an
    ``InfiniteSampler`` has no epochs) and batch samplers (mmdet's
    ``AspectRatioBatchSampler``) are left as they are. ``seeded_data=False``
    at the top level of a config turns it off; ``augment_cycle=E`` replays
    the augmentation of epoch ``e mod E`` (what a teacher cache of E epochs
    does, set from the cache).

    Returns:
        bool: Whether the config was changed.
    """
    if not cfg.get('seeded_data', True):
        return False
    loader = cfg.get('train_dataloader')
    if not isinstance(loader, dict):
        return False
    dataset, sampler = loader.get('dataset'), loader.get('sampler')
    train_cfg = cfg.get('train_cfg') or {}
    loop = _short_type(train_cfg.get('type'))
    epoch_based = (loop == 'EpochBasedTrainLoop' or loop is None
                   and train_cfg.get('by_epoch', True) is not False)
    if not (epoch_based and isinstance(dataset, dict)
            and isinstance(sampler, dict) and not loader.get('batch_sampler')
            and _short_type(sampler.get('type')) in _SEEDABLE_SAMPLERS
            and _short_type(dataset.get('type')) != 'SeededDataset'):
        return False
    seed = (cfg.get('randomness') or {}).get('seed')
    loader['dataset'] = dict(
        type='mmlogitkd.SeededDataset', dataset=dataset, seed=seed)
    if cfg.get('augment_cycle'):  # epoch e replays epoch e % augment_cycle
        loader['dataset']['cycle'] = cfg.augment_cycle
    loader['sampler'] = dict(type='mmlogitkd.SeededSampler', sampler=sampler)
    _add_hook(cfg, 'SeededDataHook')
    return True


def _add_hook(cfg: Config, name: str, **kwargs) -> None:
    """Append ``mmlogitkd.<name>`` to ``custom_hooks`` unless it is there."""
    hooks = list(cfg.get('custom_hooks') or [])
    if any(_short_type(h.get('type')) == name for h in hooks
           if isinstance(h, dict)):
        return
    hooks.append(dict(type=f'mmlogitkd.{name}', **kwargs))
    cfg.custom_hooks = hooks


def check_warmup_unit(cfg: Config) -> None:
    """An ``IterBasedTrainLoop`` reports one epoch for the whole run: a
    distillation warm-up counted in epochs would never end there."""
    model = cfg.get('model')
    warmup = model.get('distill_warmup') if isinstance(model, dict) else None
    train_cfg = cfg.get('train_cfg') or {}
    by_iter = (train_cfg.get('type') == 'IterBasedTrainLoop'
               or train_cfg.get('by_epoch') is False)
    if isinstance(warmup, dict) and warmup.get('by_epoch', True) and by_iter:
        raise ValueError(
            f'model.distill_warmup={dict(warmup)} counts epochs, but '
            'train_cfg runs an iteration-based loop: set '
            'model.distill_warmup.by_epoch=False and its length in '
            'iterations.')


def _init_cpu_distributed(cfg: Config) -> None:
    """Start a gloo process group for ``torchrun`` without GPUs.

    NCCL needs GPUs, mmengine's ``init_dist`` calls
    ``torch.cuda.set_device`` and its default DDP wrapper passes a GPU
    ``device_ids``; with the group already up and CPU DDP arguments, the
    Runner trains data-parallel on CPU processes.
    """
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    cfg.env_cfg.dist_cfg['backend'] = 'gloo'
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel',
            device_ids=None,
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    if cfg.launcher == 'pytorch' and not dist.is_initialized():
        dist.init_process_group(backend='gloo', init_method='env://')


def run_launched_main(main: Callable[[], object],
                      exit_process: Callable[[int], None] = os._exit
                      ) -> None:
    """Run a launched tool's ``main`` and end its process cleanly.

    The default process group is destroyed when ``main`` returns or raises,
    as PyTorch asks of every trainer process. A distributed run that
    succeeded then ends with ``exit_process(0)`` (``os._exit``) after
    flushing the logs and the standard streams, skipping interpreter
    finalisation: on this project's CPU machine about one 2-rank
    ``tools/dist_train.sh`` run in eight aborted there, after its last
    checkpoint was written ("terminate called without an active
    exception", SIGABRT, no Python frame on the stack, with or without the
    group destroyed), and the launcher reported the run as failed; 0 of 46
    with this exit. Single-process runs and failures exit as usual.
    """
    distributed = False
    try:
        main()
        distributed = dist.is_available() and dist.is_initialized()
    finally:
        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
    if distributed:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        exit_process(0)


def load_runtime_cfg(config: str,
                     cfg_options: Optional[dict] = None,
                     launcher: str = 'none',
                     work_dir: Optional[str] = None) -> Config:
    """Load a config the way ``tools/train.py`` and ``tools/test.py`` do:
    command-line overrides, launcher, and a work dir defaulting to
    ``work_dirs/<config name>``."""
    cfg = Config.fromfile(config)
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    return cfg


def prepare_runtime_cfg(cfg: Config) -> Config:
    """Defaults and early checks shared by ``tools/train.py``/``test.py``.

    - distributed runs without a GPU use the gloo backend;
    - an unknown ``model.type`` or dataset ``type`` fails now, naming the
      closest registered names (:func:`check_registered_types`);
    - missing, empty or malformed dataset files fail now, not after the
      model is built (:func:`check_data_paths`);
    - a distillation warm-up counted in epochs under an iteration loop
      fails now, not at the first step;
    - the training labels are checked against the model's classes before
      the first iteration (:class:`~mmlogitkd.engine.CheckLabelsHook`);
    - epoch-based classification / re-id training data is seeded per
      (seed, epoch, sample) (:func:`apply_seeded_data`): reproducible
      whatever the number of workers, and exactly resumable;
    - a ``model.teacher_cache`` is checked against the seed and the
      training pipeline, and the data replays its epochs
      (:func:`~mmlogitkd.distillers.teacher_cache.check_teacher_cache_config`).
    """
    check_registered_types(cfg)
    check_data_paths(cfg)
    check_warmup_unit(cfg)
    if isinstance(cfg.get('train_dataloader'), dict):
        _add_hook(cfg, 'CheckLabelsHook')
    apply_seeded_data(cfg)
    from mmlogitkd.distillers.teacher_cache import check_teacher_cache_config
    check_teacher_cache_config(cfg)
    if cfg.get('launcher', 'none') != 'none' and not torch.cuda.is_available():
        _init_cpu_distributed(cfg)
    return cfg
