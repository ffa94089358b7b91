# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Image loading and cropping that name the file when something is wrong,
installed by one explicit call, :func:`install_image_checks`.

:func:`mmlogitkd.apis.prepare_runtime_cfg` calls it (``tools/train.py`` and
``tools/test.py``); importing ``mmlogitkd`` does not. Nothing inside
site-packages is edited. Two transforms every task's configs use change,
for every pipeline built afterwards in the process and in the data loader
workers it forks:

1. **mmcv's** ``LoadImageFromFile`` (what ``LoadImageFromFile`` means in
   mmpretrain's, mmdet's and mmengine's registries alike, so
   classification, detection and the Market-1501 pipelines): an image that
   cannot be read or decoded raises :class:`UnreadableImageError` naming
   the file, its size and the decoder's message. mmcv already names a
   file the decoder returns nothing for, but a zero-byte file fails inside
   OpenCV (``!buf.empty() in function 'imdecode_'``) with no name.
   ``ignore_empty=True`` keeps its meaning (the sample is skipped).
2. **mmpretrain's** ``RandomCrop``: an image smaller than ``crop_size``
   (after ``padding``) with ``pad_if_needed=False`` is cut to its own size
   by mmpretrain, then zero-padded into the batch by the data preprocessor,
   silently. It now raises :class:`CropLargerThanImageError` naming the
   file and both sizes. ``pad_if_needed=True`` pads to the crop size, as
   mmpretrain does. mmdet's ``RandomCrop`` (boxes, ``allow_negative_crop``)
   is left as it is: a detector's batch pads images of different sizes by
   design, and its configs crop images smaller than the crop on purpose.

mmcv 2.x has no ``RandomCrop`` of its own.
"""
import functools
import os
from typing import Callable, Optional

__all__ = [
    'install_image_checks', 'UnreadableImageError',
    'CropLargerThanImageError'
]


class UnreadableImageError(OSError):
    """An image file that cannot be read or decoded; the message names
    it."""


class CropLargerThanImageError(ValueError):
    """A ``RandomCrop`` larger than its image, which has no padding to
    size; the message names the file and both sizes."""


def _sample_name(results: dict) -> str:
    """The file of a sample, or its index where it has none (CIFAR)."""
    path = results.get('img_path')
    if path is not None:
        return f'"{path}"'
    return f'sample {results.get("sample_idx", "?")} (no file name)'


def _file_size(path) -> Optional[int]:
    try:
        return os.stat(path).st_size
    except (OSError, TypeError, ValueError):
        return None  # a remote path, or gone


def _unreadable(path, err: BaseException) -> UnreadableImageError:
    size = _file_size(path)
    if size == 0:
        return UnreadableImageError(
            f'Image file "{path}" is empty (0 bytes): a failed download, '
            'copy or unzip? Replace it with the original image, or remove '
            'it from the dataset (its annotation file or folder).')
    reason = f'{type(err).__name__}: {str(err).strip()}'
    return UnreadableImageError(
        f'Image file "{path}"'
        + (f' ({size} bytes)' if size is not None else '') +
        f' could not be read as an image ({reason}). Check the file (open '
        'it with an image viewer); replace it, or remove it from the '
        'dataset.')


def _naming_load(transform: Callable) -> Callable:
    """mmcv's ``LoadImageFromFile.transform``, naming the file in every
    error it raises."""

    @functools.wraps(transform)
    def load(self, results: dict):
        try:
            return transform(self, results)
        except Exception as err:
            path = results.get('img_path')
            if path is None or str(path) in str(err):
                raise  # already named (mmcv's assert, a missing file)
            raise _unreadable(path, err) from err

    load._mmlogitkd_checked = True
    return load


def _sides(padding) -> tuple:
    """``(left, top, right, bottom)`` of a ``padding`` as ``mmcv.impad``
    reads it: one number, ``(left/right, top/bottom)`` or four."""
    if isinstance(padding, (int, float)):
        return (int(padding), ) * 4
    if len(padding) == 2:
        return (padding[0], padding[1], padding[0], padding[1])
    return tuple(padding)


def _size_checked_crop(transform: Callable) -> Callable:
    """mmpretrain's ``RandomCrop.transform``, refusing an image it cannot
    crop to ``crop_size``."""

    @functools.wraps(transform)
    def crop(self, results: dict):
        in_h, in_w = results['img'].shape[:2]
        results = transform(self, results)
        out_h, out_w = results['img'].shape[:2]
        crop_h, crop_w = (int(s) for s in self.crop_size)
        if (out_h, out_w) == (crop_h, crop_w):
            return results
        padded = ''
        if self.padding is not None:
            left, top, right, bottom = _sides(self.padding)
            padded = (f'; {in_h + top + bottom}x{in_w + left + right} with '
                      f'padding={self.padding}')
        share = 100. * (1. - out_h * out_w / float(crop_h * crop_w))
        raise CropLargerThanImageError(
            f'Image {_sample_name(results)} is {in_h}x{in_w} (height x '
            f'width{padded}), smaller than the {crop_h}x{crop_w} crop_size '
            f'of RandomCrop(pad_if_needed=False): it would be cut to '
            f'{out_h}x{out_w} and zero-padded into the batch by the data '
            f'preprocessor ({share:.0f}% of its input padding). Set '
            'pad_if_needed=True on the RandomCrop to pad it to the crop '
            'size (with pad_val / padding_mode), resize before the crop '
            '(e.g. Resize or ResizeEdge), or remove the image.')

    crop._mmlogitkd_checked = True
    return crop


def _install(cls, wrap: Callable) -> None:
    if not getattr(cls.transform, '_mmlogitkd_checked', False):
        cls.transform = wrap(cls.transform)


def install_image_checks() -> None:
    """Make image loading name unreadable files and mmpretrain's
    ``RandomCrop`` refuse images smaller than its crop, in this process
    (see the module's docstring); safe to call again."""
    from mmcv.transforms import LoadImageFromFile
    _install(LoadImageFromFile, _naming_load)
    try:
        from mmpretrain.datasets.transforms import RandomCrop
    except ImportError:  # pragma: no cover - depends on the env
        return
    _install(RandomCrop, _size_checked_crop)
