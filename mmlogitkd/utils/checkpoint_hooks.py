# Copyright (c) mmlogitkd contributors. All rights reserved.
"""mmengine's checkpoint reading and writing, made safe and atomic by one
explicit call, :func:`install_checkpoint_hooks`.

``tools/train.py``, ``tools/test.py``, ``tools/cache_teacher_logits.py``,
``tools/quickstart.py``, the converters of ``tools/model_converters/`` and
:func:`mmlogitkd.apis.prepare_runtime_cfg` call it; importing ``mmlogitkd``
does not. Nothing inside site-packages is edited. It does three things:

1. **Safe loading of mmengine's own checkpoints.** The types of
   :func:`~mmlogitkd.utils.safe_globals.mmengine_safe_globals` join torch's
   allow-list, so ``torch.load(weights_only=True)`` reads what mmengine
   writes.
2. **One loading function.** mmengine's local and http(s) checkpoint
   loaders (``load_from``, ``resume``, ``init_cfg``) are replaced by
   :func:`mmlogitkd.utils.checkpoint.load_checkpoint_file`: safe loading
   kept on, a clear error for unsafe and for damaged files.
3. **Atomic checkpoint writes.** mmengine writes a checkpoint with
   ``LocalBackend.put``, an ``open(path, 'wb')`` on the final name: a run
   killed mid-save leaves a truncated file there (over the previous one when
   the name repeats). ``put`` now writes a temporary file in the same folder
   and renames it over the destination once complete, for every config run
   in the process (ours, mmdet's and mmpretrain's alike).
"""
import torch

from .checkpoint import (
    atomic_write_bytes,
    is_trusted_checkpoint,
    load_checkpoint_file,
)
from .safe_globals import mmengine_safe_globals

__all__ = [
    'install_checkpoint_hooks', 'load_from_local_safe', 'load_from_http_safe',
    'LOAD_FROM_OPT_IN'
]

#: How to opt in for a file loaded through mmengine (``load_from``,
#: ``resume``), named in the refusal message.
LOAD_FROM_OPT_IN = (
    'for load_from / --resume, set allow_unsafe_checkpoint=True at the top '
    'level of the config (or --cfg-options allow_unsafe_checkpoint=True)')


def load_from_local_safe(filename, map_location):
    """mmengine's local checkpoint loader, through
    :func:`~mmlogitkd.utils.checkpoint.load_checkpoint_file`. Files named by
    :func:`~mmlogitkd.utils.checkpoint.trusted_checkpoints` (what
    ``tools/train.py`` does for ``allow_unsafe_checkpoint=True``) are read
    without the allow-list."""
    return load_checkpoint_file(
        filename,
        map_location,
        allow_unsafe=is_trusted_checkpoint(filename),
        what='checkpoint',
        opt_in=LOAD_FROM_OPT_IN)


def load_from_http_safe(filename, map_location):
    """Download (rank 0 first) and load like a local file."""
    return load_from_local_safe(filename, map_location)


def _atomic_put(self, obj: bytes, filepath) -> None:
    """``LocalBackend.put`` writing a temporary sibling, then renaming it
    over ``filepath``: a reader (``--resume``) never sees a partial file."""
    atomic_write_bytes(obj, filepath)


def install_checkpoint_hooks() -> None:
    """Make mmengine's checkpoint loading safe and its local writes atomic
    in this process (see the module's docstring); safe to call again."""
    torch.serialization.add_safe_globals(mmengine_safe_globals())
    from mmengine.fileio.backends import LocalBackend
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local_safe, force=True)
    CheckpointLoader.register_scheme(
        prefixes=('http://', 'https://'),
        loader=load_from_http_safe,
        force=True)
    if getattr(LocalBackend.put, '__name__', '') != '_atomic_put':
        LocalBackend.put = _atomic_put
