# Copyright (c) mmlogitkd contributors. All rights reserved.
"""COCO-style annotation files checked before a run: every image they name
is on disk and not empty, and the labels mmdet gives their categories follow
the dataset's ``classes``.

mmdet's ``CocoDataset.load_data_list`` numbers the categories with
``self.coco.get_cat_ids(cat_names=classes)``, which pycocotools' ``getCatIds``
answers in the order the json *lists* its ``categories`` (neither the order
of ``classes`` nor that of the ids): label ``i`` is the ``i``-th listed
category whose name is in ``classes``. :func:`coco_label_order` computes that
order; :mod:`mmlogitkd.apis.class_order` refuses it where it differs from
``classes``.
"""
import functools
import json
import os
import os.path as osp
import re
from typing import List, NamedTuple, Optional, Sequence

__all__ = [
    'CocoIndex', 'read_coco_index', 'coco_label_order', 'coco_image_problems',
    'format_names'
]

#: annotation files up to this size are parsed in full; larger ones (COCO
#: train2017 is ~450 MB) have only their "images" and "categories" arrays
#: decoded, which takes seconds instead of a minute and GBs of memory
FULL_PARSE_LIMIT = 32 * 1024 * 1024
#: how many paths a message names
SHOWN = 5


class CocoIndex(NamedTuple):
    """What the checks need of a COCO annotation file.

    Attributes:
        file_names (tuple[str]): ``images[].file_name``, in listing order
            (entries without one are left out).
        categories (list[dict] | None): ``categories`` as listed, None when
            the file has no such key.
    """
    file_names: tuple
    categories: Optional[list]


def _top_level_array(text: str, key: str) -> Optional[list]:
    """The JSON array of ``"key": [...]`` in ``text``, decoded alone: the
    first occurrence, which in a COCO file is the top-level key."""
    match = re.search(r'"%s"\s*:\s*\[' % re.escape(key), text)
    if match is None:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(text, match.end() - 1)
    except ValueError:
        return None
    return value if isinstance(value, list) else None


@functools.lru_cache(maxsize=4)
def _read_index(path: str, size: int, mtime_ns: int) -> Optional[CocoIndex]:
    del mtime_ns  # part of the cache key only: a rewritten file is re-read
    try:
        with open(path, 'rb') as f:
            raw = f.read()
        if size <= FULL_PARSE_LIMIT:
            content = json.loads(raw)
            if not isinstance(content, dict):
                return None
            images, categories = content.get('images'), content.get(
                'categories')
        else:
            text = raw.decode('utf-8')
            del raw
            images = _top_level_array(text, 'images')
            categories = _top_level_array(text, 'categories')
    except (OSError, ValueError, UnicodeDecodeError):
        return None  # named by check_data_paths' own JSON checks
    file_names = tuple(
        im['file_name'] for im in images or ()
        if isinstance(im, dict) and isinstance(im.get('file_name'), str))
    return CocoIndex(file_names,
                     categories if isinstance(categories, list) else None)


def read_coco_index(path: str) -> Optional[CocoIndex]:
    """The image file names and categories of a COCO annotation file, or
    None when it does not read as one. Cached while the file is unchanged,
    so the file and class checks of one run parse it once."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return _read_index(path, st.st_size, st.st_mtime_ns)


def coco_label_order(categories: Sequence[dict],
                     classes: Sequence[str]) -> List[str]:
    """The class names in the order mmdet's ``CocoDataset`` gives them
    labels ``0, 1, ...``: the json's listing order of ``categories``, kept
    where the name is in ``classes`` (pycocotools' ``getCatIds(catNms=
    classes)``)."""
    wanted = set(classes)
    return [
        c.get('name') for c in categories
        if isinstance(c, dict) and c.get('name') in wanted
    ]


def format_names(names: Sequence, limit: int = 20) -> str:
    """``['a', 'b', ...]``, the first ``limit`` names and the count."""
    names = [str(n) for n in names]
    if len(names) <= limit:
        return repr(names)
    return (repr(names[:limit])[:-1] +
            f', ... ({len(names)} in all)]')


def _shown(paths: Sequence[str]) -> str:
    more = f' (first {SHOWN} shown)' if len(paths) > SHOWN else ''
    return ', '.join(f'"{p}"' for p in paths[:SHOWN]) + more


def coco_image_problems(key: str, ann_path: str,
                        img_dir: str) -> List[str]:
    """Problems of the images a COCO annotation file names, read as mmdet's
    ``CocoDataset`` does (``img_dir`` joined with ``file_name``): missing
    files and empty (0-byte) ones, with their count and the first paths.
    One ``os.stat`` per image (COCO train2017's 118k in about a second on a
    local disk)."""
    index = read_coco_index(ann_path)
    if index is None or not index.file_names:
        return []
    missing, empty = [], []
    for name in index.file_names:
        path = osp.join(img_dir, name)
        try:
            if os.stat(path).st_size == 0:
                empty.append(path)
        except OSError:
            missing.append(path)
    total = len(index.file_names)
    problems = []
    if missing:
        problems.append(
            f'{key}: {len(missing)} of the {total} images that "{ann_path}" '
            f'lists are not on disk under "{img_dir}" (data_root + '
            f'data_prefix.img): {_shown(missing)}. Restore them (an '
            'interrupted download or unzip?), point data_prefix at their '
            'folder, or remove their entries from the json')
    if empty:
        problems.append(
            f'{key}: {len(empty)} of the {total} images that "{ann_path}" '
            f'lists are empty files (0 bytes): {_shown(empty)}. Replace '
            'them with the original images (a failed copy or download?) or '
            'remove their entries from the json')
    return problems
