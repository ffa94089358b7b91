# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Class order checked before a run: label ``k`` means the same class in
every training and evaluation set, in the teacher and in the student.

Two ways it silently goes wrong, refused here with both orders named:

- a COCO json lists its ``categories`` in another order than the dataset's
  ``classes`` (legal COCO): mmdet numbers them in the json's listing order
  (:func:`~mmlogitkd.apis.coco_checks.coco_label_order`), so label 0 is
  another class than ``classes[0]``, and the checkpoint's ``dataset_meta``
  names the classes wrongly;
- the teacher checkpoint was trained with other classes, or the same in
  another order (its ``meta.dataset_meta.classes``): its logit ``k`` would
  be distilled into the student's class ``k``.
"""
import os.path as osp
from typing import Iterator, List, Optional, Tuple

from mmengine.config import Config

from mmlogitkd.utils.checkpoint import load_checkpoint_file
from .coco_checks import coco_label_order, format_names, read_coco_index
from .data_checks import _dataset_class, is_coco_dataset, iter_dataset_cfgs

__all__ = ['check_class_order', 'dataset_classes', 'teacher_classes']

_EVALUATORS = (('val_evaluator', 'val_dataloader'),
               ('test_evaluator', 'test_dataloader'))


def _class_names(classes) -> Optional[List[str]]:
    """A ``classes`` value as a list of names: a list / tuple, or a file
    with one name a line (read as mmengine's ``list_from_file``)."""
    if isinstance(classes, (list, tuple)):
        return [str(c) for c in classes]
    if isinstance(classes, str):
        path = osp.expanduser(classes)
        if osp.isfile(path):
            with open(path, encoding='utf-8') as f:
                return [line.strip() for line in f if line.strip()]
    return None


def dataset_classes(ds: dict, scope: Optional[str]) -> Optional[List[str]]:
    """The ``classes`` of a dataset config: its ``metainfo.classes`` (or
    mmpretrain's ``classes``), else those of the dataset it wraps, else its
    class's ``METAINFO``; None when nothing gives them (e.g. a folder
    dataset that finds its classes when it loads)."""
    if not isinstance(ds, dict):
        return None
    metainfo = ds.get('metainfo')
    for value in ((metainfo or {}).get('classes') if isinstance(
            metainfo, dict) else None, ds.get('classes')):
        names = _class_names(value)
        if names is not None:
            return names
    if isinstance(ds.get('dataset'), dict):
        return dataset_classes(ds['dataset'], scope)
    cls = _dataset_class(ds.get('type'), scope)
    return _class_names((getattr(cls, 'METAINFO', None) or {}).get('classes'))


def _join(root: str, path: str) -> str:
    return path if not root or osp.isabs(path) else osp.join(root, path)


def _order_problem(where: str, ann_path: str,
                   classes: List[str]) -> Optional[str]:
    """What is wrong with the label order of one COCO json, or None."""
    index = read_coco_index(ann_path)
    if index is None or index.categories is None:
        return None  # not readable as COCO: check_data_paths names it
    order = coco_label_order(index.categories, classes)
    if order == classes:
        return None
    listed = [c.get('name') for c in index.categories if isinstance(c, dict)]
    absent = [c for c in classes if c not in listed]
    if absent:
        detail = (f'the classes {format_names(absent)} are not among its '
                  f'categories {format_names(listed)}, so the labels after '
                  'them shift')
    else:
        k = next(i for i, (a, b) in enumerate(zip(order, classes)) if a != b)
        detail = (f'label {k} would be the category {order[k]!r}, which '
                  f'`classes` names {classes[k]!r}')
    return (
        f'{where}: "{ann_path}" gives labels 0, 1, ... to its categories in '
        f'the order {format_names(order)} (mmdet\'s CocoDataset numbers the '
        'json\'s "categories" in their listed order, not by id nor by '
        f'`classes`), but the dataset\'s classes are '
        f'{format_names(classes)}: {detail}. List the json\'s "categories" '
        'in the order of `classes` (ids may stay as they are), or set '
        'metainfo=dict(classes=...) to the json\'s order for every dataset '
        'and model of the run')


def _coco_sets(cfg: Config, scope: Optional[str]
               ) -> Iterator[Tuple[str, str, List[str]]]:
    """``(where, json path, classes)`` of every COCO dataset of the data
    loaders and every ``ann_file`` of a COCO metric."""
    for key, ds in iter_dataset_cfgs(cfg):
        ann = ds.get('ann_file')
        if not (isinstance(ann, str) and ann.lower().endswith('.json')
                and is_coco_dataset(_dataset_class(ds.get('type'), scope))):
            continue
        classes = dataset_classes(ds, scope)
        ann_path = _join(ds.get('data_root') or '', ann)
        if classes and osp.isfile(ann_path):
            yield f'{key}.ann_file', ann_path, classes
    for evaluator, loader in _EVALUATORS:
        metrics = cfg.get(evaluator)
        metrics = metrics if isinstance(metrics, list) else [metrics]
        loader_cfg = cfg.get(loader)
        classes = dataset_classes(
            loader_cfg.get('dataset'), scope) if isinstance(
                loader_cfg, dict) else None
        for i, metric in enumerate(metrics):
            ann = metric.get('ann_file') if isinstance(metric, dict) else None
            if (classes and isinstance(ann, str)
                    and ann.lower().endswith('.json') and osp.isfile(ann)):
                where = evaluator if len(metrics) == 1 else (
                    f'{evaluator}[{i}]')
                yield f'{where}.ann_file', ann, classes


def teacher_classes(path: str) -> Optional[List[str]]:
    """``meta.dataset_meta.classes`` of a local checkpoint, None when it
    has none or does not load safely (then the distiller names the
    problem when it loads the teacher)."""
    try:
        ckpt = load_checkpoint_file(path, 'cpu', what='teacher_ckpt')
    except Exception:  # noqa: BLE001 - reported where the teacher loads
        return None
    meta = ckpt.get('meta') if isinstance(ckpt, dict) else None
    dataset_meta = meta.get('dataset_meta') if isinstance(meta, dict) else None
    if not isinstance(dataset_meta, dict):
        return None
    return _class_names(dataset_meta.get('classes'))


def _teacher_problem(cfg: Config, scope: Optional[str]) -> Optional[str]:
    model = cfg.get('model')
    ckpt = model.get('teacher_ckpt') if isinstance(model, dict) else None
    loader = cfg.get('train_dataloader')
    if not (isinstance(ckpt, str) and isinstance(loader, dict)):
        return None
    path = osp.expanduser(ckpt)
    if not osp.isfile(path):  # a URL, or missing: named by check_data_paths
        return None
    student = dataset_classes(loader.get('dataset'), scope)
    teacher = teacher_classes(path) if student else None
    if teacher is None or teacher == student:
        return None
    if sorted(teacher) == sorted(student):
        k = next(i for i, (a, b) in enumerate(zip(teacher, student))
                 if a != b)
        detail = (f'the same classes in another order: the teacher\'s '
                  f'logit {k} ({teacher[k]!r}) would teach the student\'s '
                  f'class {k} ({student[k]!r})')
    else:
        detail = (f'{len(teacher)} teacher classes against '
                  f'{len(student)} student classes, '
                  f'{len(set(teacher) ^ set(student))} names in one list '
                  'only')
    return (
        f'model.teacher_ckpt: "{path}" was trained with the classes '
        f'{format_names(teacher)} (its meta.dataset_meta.classes), but the '
        f'student trains on {format_names(student)} '
        f'(train_dataloader.dataset): {detail}. Use a teacher trained with '
        'the student\'s classes in the same order, or give the training '
        'set the teacher\'s order (metainfo.classes, and the json\'s '
        '"categories" in that order)')


def check_class_order(cfg: Config) -> None:
    """Fail before training when a label would mean another class in some
    part of the run, naming both orders and the file.

    - every COCO json of the data loaders (mmdet's ``CocoDataset`` and its
      subclasses) and of a COCO metric's ``ann_file`` gives labels in the
      order of the dataset's ``classes``;
    - a local ``model.teacher_ckpt`` whose ``meta.dataset_meta.classes`` is
      recorded (mmengine writes it) has the training set's classes, in the
      same order.

    Raises:
        ValueError: Naming the config key, the file, both orders and what
            to do.
    """
    scope = cfg.get('default_scope')
    problems = [
        problem for where, ann_path, classes in _coco_sets(cfg, scope)
        for problem in [_order_problem(where, ann_path, classes)] if problem
    ]
    teacher = _teacher_problem(cfg, scope)
    if teacher:
        problems.append(teacher)
    if problems:
        raise ValueError(
            'Labels would name other classes than the config says:\n  ' +
            '\n  '.join(dict.fromkeys(problems)))
