# Copyright (c) mmlogitkd contributors. All rights reserved.
"""An unknown ``model.type`` or dataset ``type`` fails before anything is
built, naming the config key and the closest registered names."""
from mmengine.config import Config

from mmlogitkd.registry import DATASETS, MODELS
from mmlogitkd.utils.registry_hints import explain_unknown_type
from .data_checks import iter_dataset_cfgs

__all__ = ['check_registered_types']


def check_registered_types(cfg: Config) -> None:
    """Fail before anything is built when ``model.type`` or a dataset
    ``type`` is unknown, naming the config key and the closest registered
    names (the types inside the student, the teacher and the distillation
    losses are checked by their builds, with the same hints)."""
    scope = cfg.get('default_scope')
    entries = []
    model = cfg.get('model')
    if isinstance(model, dict) and isinstance(model.get('type'), str):
        entries.append(('model.type', model['type'], model.get('_scope_'),
                        MODELS))
    for key, ds in iter_dataset_cfgs(cfg):
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
