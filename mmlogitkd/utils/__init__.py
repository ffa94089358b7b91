# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The ground floor: checkpoint I/O and safety, the work-dir lock, registry
hints. It imports torch and mmengine only, no other floor of mmlogitkd."""
# Checkpoints are data: the one loading function, atomic writes, and
# mmengine's loading and saving through them once the hooks are installed.
from .checkpoint import (
    CheckpointError,
    CorruptCheckpointError,
    UnsafeCheckpointError,
    atomic_save,
    check_checkpoint_file,
    find_resumable_checkpoint,
    load_checkpoint_file,
    register_checkpoint_reader,
    state_dict_sha256,
    trusted_checkpoints,
)
from .checkpoint_hooks import install_checkpoint_hooks

# A config naming an unknown type fails with the closest registered names.
from .registry_hints import (
    UnknownTypeError,
    explain_unknown_type,
    suggest_registered,
)

# One run per work dir.
from .work_dir_lock import WorkDirLockedError, lock_work_dir, unlock_work_dir

__all__ = [
    'CheckpointError', 'CorruptCheckpointError', 'UnsafeCheckpointError',
    'atomic_save', 'check_checkpoint_file', 'find_resumable_checkpoint',
    'load_checkpoint_file', 'register_checkpoint_reader',
    'state_dict_sha256', 'trusted_checkpoints', 'install_checkpoint_hooks',
    'UnknownTypeError', 'explain_unknown_type', 'suggest_registered',
    'WorkDirLockedError', 'lock_work_dir', 'unlock_work_dir'
]
