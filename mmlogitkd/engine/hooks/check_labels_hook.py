# Copyright (c) mmlogitkd contributors. All rights reserved.
from typing import Iterator, Optional

import numpy as np
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmlogitkd.registry import HOOKS


def _leaf_datasets(dataset) -> Iterator:
    """The datasets holding samples: wrappers (``SeededDataset``,
    mmengine's ``RepeatDataset`` / ``ClassBalancedDataset`` /
    ``ConcatDataset``, ...) are opened."""
    inner = getattr(dataset, 'datasets', None)
    if isinstance(inner, (list, tuple)):
        for sub in inner:
            yield from _leaf_datasets(sub)
        return
    wrapped = vars(dataset).get('dataset') if hasattr(dataset,
                                                      '__dict__') else None
    if wrapped is not None and hasattr(wrapped, '__getitem__'):
        yield from _leaf_datasets(wrapped)
        return
    yield dataset


def _labels(dataset) -> Optional[np.ndarray]:
    """``[N]`` integer labels of a classification dataset, read from its
    annotations (no image is loaded), or None (no single-label
    ``gt_label``)."""
    try:
        if hasattr(dataset, 'get_gt_labels'):
            labels = dataset.get_gt_labels()
        elif hasattr(dataset, 'get_data_info'):
            labels = [
                dataset.get_data_info(i).get('gt_label')
                for i in range(len(dataset))
            ]
        else:
            return None
        labels = np.asarray(labels)
    except (KeyError, TypeError, ValueError, NotImplementedError):
        return None
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        return None
    return labels


def check_dataset_labels(dataset, num_classes: int, role: str = 'student',
                         detector: bool = False) -> None:
    """Raise a ``ValueError`` when a training label falls outside
    ``0..num_classes - 1``, naming the label, the number of classes and the
    first sample; for a detector, when the dataset names more classes than
    its box head has."""
    for leaf in _leaf_datasets(dataset):
        name = type(leaf).__name__
        if detector:
            classes = (getattr(leaf, 'metainfo', None) or {}).get('classes')
            if classes is not None and len(classes) > num_classes:
                raise ValueError(
                    f'The training dataset ({name}) has {len(classes)} '
                    f'classes (metainfo classes), but the {role}\'s box head '
                    f'predicts num_classes={num_classes}: set the head\'s '
                    'num_classes to the number of classes, or restrict the '
                    'dataset with metainfo=dict(classes=...).')
            continue
        labels = _labels(leaf)
        if labels is None or not labels.size:
            continue
        bad = np.flatnonzero((labels < 0) | (labels >= num_classes))
        if not bad.size:
            continue
        index = int(bad[0])
        info = leaf.get_data_info(index) if hasattr(leaf,
                                                    'get_data_info') else {}
        sample = info.get('img_path') or info.get('img_id')
        where = f'sample {index}' + (f' ({sample})' if sample else '')
        raise ValueError(
            f'Training label {int(labels[index])} of {where} in {name} is '
            f'outside the {num_classes} classes of the {role} (labels '
            f'0..{num_classes - 1}); {bad.size} of {labels.size} training '
            'samples are out of range. Give the head num_classes = the '
            'number of classes of the dataset, or fix the annotations.')


@HOOKS.register_module()
class CheckLabelsHook(Hook):
    """Before the first iteration, check the training labels against the
    model's classes, once.

    A label ``>= num_classes`` otherwise ends the run at some iteration with
    a bare ``IndexError`` of the cross-entropy (or a device-side assert on
    GPU) that names neither the label nor the sample. Classification and
    re-id labels (``gt_label`` of the data list: annotations only, no image
    is read) must lie in ``0..num_classes - 1`` of the student
    (the teacher's count is the same, checked at build time); for a
    detector (mmdet maps category ids to ``0..len(classes) - 1`` itself)
    the dataset must not name more classes than the box head has. Models
    without a known class count are left alone.

    ``tools/train.py`` adds it to every training run.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        from mmlogitkd.distillers import box_head, num_classes_of
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        student = getattr(model, 'student', None)
        role = 'student' if student is not None else 'model'
        student = student if student is not None else model
        num_classes = num_classes_of(student)
        if num_classes is None:
            return
        check_dataset_labels(runner.train_loop.dataloader.dataset,
                             num_classes, role,
                             box_head(student) is not None)
