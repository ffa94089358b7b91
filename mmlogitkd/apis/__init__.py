# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The top floor: what ``tools/`` use to prepare a config and launch a run,
and the quick starts of ``tools/quickstart.py`` (:mod:`.quickstart`, not
imported here).

It may import every other floor of ``mmlogitkd`` and none of them imports it
(the layers contract of ``pyproject.toml``).
"""
from .class_order import check_class_order
from .config import check_warmup_unit, load_runtime_cfg, prepare_runtime_cfg
from .data_checks import check_data_paths
from .launch import init_cpu_distributed, run_launched_main
from .registered_types import check_registered_types
from .seeded_data import apply_seeded_data
from .setup_env import register_all_modules

__all__ = [
    'load_runtime_cfg', 'prepare_runtime_cfg', 'check_warmup_unit',
    'check_data_paths', 'check_class_order', 'check_registered_types',
    'apply_seeded_data', 'init_cpu_distributed', 'run_launched_main',
    'register_all_modules'
]
