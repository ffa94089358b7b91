# Copyright (c) mmlogitkd contributors. All rights reserved.
from .runtime import check_data_paths, load_runtime_cfg, prepare_runtime_cfg
from .setup_env import register_all_modules

__all__ = [
    'check_data_paths', 'load_runtime_cfg', 'prepare_runtime_cfg',
    'register_all_modules'
]

# Checkpoints are data: the one loading function, atomic writes (see
# mmlogitkd/utils/checkpoint.py).
from .checkpoint import (CheckpointError, CorruptCheckpointError,  # noqa: E402
                         UnsafeCheckpointError, atomic_save,
                         check_checkpoint_file, find_resumable_checkpoint,
                         load_checkpoint_file, state_dict_sha256,
                         trusted_checkpoints)

__all__ += [
    'CheckpointError', 'CorruptCheckpointError', 'UnsafeCheckpointError',
    'atomic_save', 'check_checkpoint_file', 'find_resumable_checkpoint',
    'load_checkpoint_file', 'state_dict_sha256', 'trusted_checkpoints'
]

# Bad input fails early and clearly; one run per work dir; seeded data.
from .runtime import (UnknownTypeError, WorkDirLockedError,  # noqa: E402
                      apply_seeded_data, check_registered_types,
                      explain_unknown_type, lock_work_dir,
                      suggest_registered, unlock_work_dir)

__all__ += [
    'UnknownTypeError', 'WorkDirLockedError', 'apply_seeded_data',
    'check_registered_types', 'explain_unknown_type', 'lock_work_dir',
    'suggest_registered', 'unlock_work_dir'
]
