# Copyright (c) mmlogitkd contributors. All rights reserved.
from .runtime import check_data_paths, load_runtime_cfg, prepare_runtime_cfg
from .setup_env import register_all_modules

__all__ = [
    'check_data_paths', 'load_runtime_cfg', 'prepare_runtime_cfg',
    'register_all_modules'
]
