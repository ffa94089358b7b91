# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Write mmpretrain ``CustomDataset`` annotation files for Tiny-ImageNet.

Tiny-ImageNet-200 ships ``wnids.txt`` (one WordNet id per line),
``train/<wnid>/images/*.JPEG`` and ``val/images/*.JPEG`` with
``val/val_annotations.txt`` (tab separated: file name, wnid, x0, y0, x1,
y1). :func:`convert_tiny_imagenet` writes, without copying images:

- ``meta/classes.txt``: the wnids, line ``i`` is label ``i``;
- ``meta/train.txt``: ``train/<wnid>/images/<file> <label>``, classes in
  ``wnids.txt`` order, files sorted by name;
- ``meta/val.txt``: ``val/images/<file> <label>``, files sorted by name.

Paths are relative to the dataset root, so the dataset config is::

    dict(type='CustomDataset', data_root=ROOT, data_prefix='',
         ann_file='meta/train.txt', classes=ROOT + '/meta/classes.txt')
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

IMG_EXTENSIONS = ('.jpeg', '.jpg', '.png')


def _read_lines(path: str) -> List[str]:
    if not osp.isfile(path):
        raise FileNotFoundError(f'Tiny-ImageNet file not found: {path}')
    with open(path, encoding='utf-8') as f:
        return [line.strip() for line in f if line.strip()]


def _list_images(folder: str) -> List[str]:
    return sorted(
        name for name in os.listdir(folder)
        if name.lower().endswith(IMG_EXTENSIONS)
        and osp.isfile(osp.join(folder, name)))


def read_wnids(root: str) -> List[str]:
    """The class wnids of ``ROOT/wnids.txt``, in file order (unique)."""
    wnids = _read_lines(osp.join(root, 'wnids.txt'))
    seen = set()
    duplicates = sorted({w for w in wnids if w in seen or seen.add(w)})
    if duplicates:
        raise ValueError(f'{osp.join(root, "wnids.txt")} lists these wnids '
                         f'more than once: {", ".join(duplicates)}')
    if not wnids:
        raise ValueError(f'{osp.join(root, "wnids.txt")} is empty')
    return wnids


def collect_tiny_imagenet(
        root: str) -> Tuple[List[str], List[Tuple[str, int]], List[Tuple[
            str, int]]]:
    """Scan a Tiny-ImageNet folder.

    Args:
        root (str): Folder with ``wnids.txt``, ``train/`` and ``val/``.

    Returns:
        tuple: ``(wnids, train, val)``, where ``train`` / ``val`` are lists of
        ``(path relative to root, label index)``.

    Raises:
        FileNotFoundError: A required file or folder is missing (named).
        ValueError: Unknown / duplicate wnids, a class without images, or a
            malformed annotation line (named).
    """
    wnids = read_wnids(root)
    label_of: Dict[str, int] = {w: i for i, w in enumerate(wnids)}

    train_root = osp.join(root, 'train')
    if not osp.isdir(train_root):
        raise FileNotFoundError(
            f'Tiny-ImageNet train folder not found: {train_root}')
    extra = sorted(
        d for d in os.listdir(train_root)
        if osp.isdir(osp.join(train_root, d)) and d not in label_of)
    if extra:
        raise ValueError(f'{train_root} has class folders that are not in '
                         f'wnids.txt: {", ".join(extra)}')
    train: List[Tuple[str, int]] = []
    for wnid in wnids:
        folder = osp.join(train_root, wnid, 'images')
        if not osp.isdir(folder):
            raise FileNotFoundError(
                f'Training images of wnid {wnid} not found: {folder}')
        files = _list_images(folder)
        if not files:
            raise ValueError(f'No images for wnid {wnid} in {folder}')
        train += [(f'train/{wnid}/images/{name}', label_of[wnid])
                  for name in files]

    ann_file = osp.join(root, 'val', 'val_annotations.txt')
    val_images = osp.join(root, 'val', 'images')
    if not osp.isdir(val_images):
        raise FileNotFoundError(
            f'Tiny-ImageNet val image folder not found: {val_images}')
    val: List[Tuple[str, int]] = []
    seen: Dict[str, int] = {}
    for lineno, line in enumerate(_read_lines(ann_file), 1):
        fields = line.split('\t')
        if len(fields) < 2:
            raise ValueError(f'{ann_file}:{lineno}: expected tab-separated '
                             f'"file wnid x0 y0 x1 y1", got {line!r}')
        name, wnid = fields[0].strip(), fields[1].strip()
        if wnid not in label_of:
            raise ValueError(f'{ann_file}:{lineno}: wnid {wnid} of {name} '
                             'is not in wnids.txt')
        if name in seen:
            raise ValueError(f'{ann_file}:{lineno}: {name} is annotated '
                             f'twice (first on line {seen[name]})')
        seen[name] = lineno
        if not osp.isfile(osp.join(val_images, name)):
            raise FileNotFoundError(
                f'{ann_file}:{lineno}: image not found: '
                f'{osp.join(val_images, name)}')
        val.append((f'val/images/{name}', label_of[wnid]))
    val.sort()
    return wnids, train, val


def convert_tiny_imagenet(root: str,
                          out_dir: Optional[str] = None) -> Dict[str, str]:
    """Write ``classes.txt``, ``train.txt`` and ``val.txt`` for Tiny-ImageNet.

    Args:
        root (str): The Tiny-ImageNet root (``tiny-imagenet-200``).
        out_dir (str, optional): Where to write; defaults to ``ROOT/meta``.

    Returns:
        dict: ``{'classes': path, 'train': path, 'val': path}``.
    """
    wnids, train, val = collect_tiny_imagenet(root)
    out_dir = out_dir or osp.join(root, 'meta')
    os.makedirs(out_dir, exist_ok=True)
    paths = {
        name: osp.join(out_dir, f'{name}.txt')
        for name in ('classes', 'train', 'val')
    }
    with open(paths['classes'], 'w', encoding='utf-8') as f:
        f.writelines(f'{w}\n' for w in wnids)
    for split, items in (('train', train), ('val', val)):
        with open(paths[split], 'w', encoding='utf-8') as f:
            f.writelines(f'{path} {label}\n' for path, label in items)
    return paths
