# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Data written once into a folder and kept while the arguments that made
it are the same: the metadata file records them, and is removed first and
written last, so that an interrupted generation is never taken for a
complete one (the digits sets of the quick starts)."""
import json
import os
import os.path as osp
from typing import Optional

__all__ = ['as_json', 'earlier_meta', 'forget_meta', 'write_meta']


def as_json(args: dict) -> dict:
    """``args`` as they read back from the metadata file (tuples become
    lists), for comparing with an earlier generation's."""
    return json.loads(json.dumps(args))


def earlier_meta(meta_path: str, args: dict) -> Optional[dict]:
    """The metadata of an earlier generation made with ``args``
    (:func:`as_json`), or None (no file, unreadable, other arguments). The
    caller checks that its outputs are still there."""
    try:
        with open(meta_path) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) and meta.get('args') == args \
        else None


def forget_meta(meta_path: str) -> None:
    """Remove the metadata before the outputs are rewritten."""
    if osp.exists(meta_path):
        os.remove(meta_path)


def write_meta(meta_path: str, meta: dict, indent: Optional[int] = None
               ) -> None:
    """Write the metadata, after every output is complete."""
    with open(meta_path, 'w') as f:
        json.dump(meta, f, indent=indent)
