# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Transforms of the two-view (weak / strong) pipeline of MLKD.

``mmpretrain.MultiView`` makes the views (``results['img']`` becomes a
list), :class:`StackViews` stacks them into one image, so the ordinary
packing, collation and data preprocessor carry them to
:class:`~mmlogitkd.distillers.MultiViewClsDistiller`, which splits them
again. :class:`FixMatchRandAugment` is the strong augmentation of the
official MLKD code.
"""
import random
from typing import List

import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

from mmlogitkd.registry import TRANSFORMS


@TRANSFORMS.register_module()
class StackViews(BaseTransform):
    """Stack the views of ``results['img']`` (a list of ``[H, W, 3]``
    arrays of one size, from ``mmpretrain.MultiView``) on the height axis:
    one ``[V * H, W, 3]`` image, view 0 on top. Sets ``num_views`` (pack it
    as a meta key) and ``img_shape``.

    The data preprocessor then normalises every view alike, and the
    distiller splits the batch ``[N, 3, V * H, W]`` back into V views of
    ``[N, 3, H, W]``.
    """

    def transform(self, results: dict) -> dict:
        views: List[np.ndarray] = results['img']
        if not isinstance(views, (list, tuple)) or not views:
            raise TypeError('StackViews needs a list of views in '
                            "results['img'] (put mmpretrain.MultiView "
                            f'before it), got {type(views).__name__}')
        shapes = {v.shape for v in views}
        if len(shapes) != 1:
            raise ValueError('StackViews needs views of one shape, got '
                             f'{sorted(shapes)}')
        results['img'] = np.concatenate(views, axis=0)
        results['img_shape'] = results['img'].shape[:2]
        results['num_views'] = len(views)
        return results


# the official FixMatch-style operations (MLKD ``mdistiller/dataset/
# cifar100.py`` l.144-289): (op, low, high) magnitude ranges
def _auto_contrast(img, _):
    return ImageOps.autocontrast(img)


def _brightness(img, v):
    return ImageEnhance.Brightness(img).enhance(v)


def _color(img, v):
    return ImageEnhance.Color(img).enhance(v)


def _contrast(img, v):
    return ImageEnhance.Contrast(img).enhance(v)


def _equalize(img, _):
    return ImageOps.equalize(img)


def _identity(img, _):
    return img


def _posterize(img, v):
    return ImageOps.posterize(img, max(1, int(v)))


def _rotate(img, v):
    return img.rotate(v)


def _sharpness(img, v):
    return ImageEnhance.Sharpness(img).enhance(v)


def _shear_x(img, v):
    return img.transform(img.size, Image.AFFINE, (1, v, 0, 0, 1, 0))


def _shear_y(img, v):
    return img.transform(img.size, Image.AFFINE, (1, 0, 0, v, 1, 0))


def _solarize(img, v):
    return ImageOps.solarize(img, v)


def _translate_x(img, v):
    return img.transform(img.size, Image.AFFINE,
                         (1, 0, v * img.size[0], 0, 1, 0))


def _translate_y(img, v):
    return img.transform(img.size, Image.AFFINE,
                         (1, 0, 0, 0, 1, v * img.size[1]))


_OPS = (
    (_auto_contrast, 0, 1),
    (_brightness, 0.05, 0.95),
    (_color, 0.05, 0.95),
    (_contrast, 0.05, 0.95),
    (_equalize, 0, 1),
    (_identity, 0, 1),
    (_posterize, 4, 8),
    (_rotate, -30, 30),
    (_sharpness, 0.05, 0.95),
    (_shear_x, -0.3, 0.3),
    (_shear_y, -0.3, 0.3),
    (_solarize, 0, 256),
    (_translate_x, -0.3, 0.3),
    (_translate_y, -0.3, 0.3),
)


@TRANSFORMS.register_module()
class FixMatchRandAugment(BaseTransform):
    """The strong augmentation of the official MLKD code
    (``RandAugment(2, 10)`` of ``mdistiller/dataset/cifar100.py``
    l.292-305, from FixMatch): ``num_ops`` operations drawn with
    replacement from 14 (auto-contrast, brightness, color, contrast,
    equalize, identity, posterize, rotate, sharpness, shear x / y,
    solarize, translate x / y), each with a magnitude drawn uniformly from
    its range, then a cutout of a random square of side ``U(0, 0.5) * W``
    (at least 0 px) at a uniform random centre, filled with
    ``(125, 123, 114)``.

    Randomness from Python's ``random`` (operations, magnitudes) and
    numpy's global RNG (cutout centre), as the official code: the seeded
    data pipeline reproduces it.

    Args:
        num_ops (int): Operations per image. Defaults to 2.
        cutout (float): Largest cutout side, as a fraction of the width.
            Defaults to 0.5.
        fill (tuple): Cutout colour (RGB). Defaults to (125, 123, 114).
    """

    def __init__(self,
                 num_ops: int = 2,
                 cutout: float = 0.5,
                 fill: tuple = (125, 123, 114)) -> None:
        self.num_ops = int(num_ops)
        self.cutout = float(cutout)
        self.fill = tuple(int(c) for c in fill)

    def _cutout(self, img: Image.Image, v: float) -> Image.Image:
        if v <= 0:
            return img
        side = v * img.size[0]
        w, h = img.size
        x0 = int(max(0, np.random.uniform(w) - side / 2.))
        y0 = int(max(0, np.random.uniform(h) - side / 2.))
        x1, y1 = min(w, x0 + side), min(h, y0 + side)
        img = img.copy()
        ImageDraw.Draw(img).rectangle((x0, y0, x1, y1), self.fill)
        return img

    def transform(self, results: dict) -> dict:
        img = Image.fromarray(results['img'])
        for op, low, high in random.choices(_OPS, k=self.num_ops):
            img = op(img, low + float(high - low) * random.random())
        img = self._cutout(img, random.random() * self.cutout)
        results['img'] = np.asarray(img, dtype=np.uint8).copy()
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_ops={self.num_ops}, '
                f'cutout={self.cutout}, fill={self.fill})')
