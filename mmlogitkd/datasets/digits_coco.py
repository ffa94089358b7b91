# Copyright (c) mmlogitkd contributors. All rights reserved.
"""A COCO-format detection dataset made of scikit-learn's handwritten digits.

The detection counterpart of :mod:`mmlogitkd.datasets.digits`: the real 8x8
digits that ship inside scikit-learn are upscaled, coloured and pasted at
random positions and sizes onto small textured canvases, and the result is
written in mmdet's COCO layout::

    root/annotations/instances_train2017.json
    root/annotations/instances_val2017.json
    root/train2017/000001.png ...
    root/val2017/000001.png ...
    root/digits_coco_meta.json      # the arguments; written last

mmdet's own ``CocoDataset`` loads it with
``metainfo=dict(classes=('0', ..., '9'))``; nothing is registered. Nothing is
downloaded, and the same arguments give the same files byte for byte.
"""
import json
import os
import os.path as osp
import shutil
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .digits import DIGITS_CLASSES, load_digits_arrays, stratified_split
from .generated_once import as_json, earlier_meta, forget_meta, write_meta

# Bump when the rendering changes, so that old folders are regenerated.
DIGITS_COCO_VERSION = 1
META_FILE = 'digits_coco_meta.json'
SPLITS = ('train', 'val')


def _pair(value, name: str, cast=int) -> Tuple:
    """``v`` or ``(lo, hi)`` -> ``(lo, hi)`` with ``lo <= hi``."""
    if np.isscalar(value):
        value = (value, value)
    value = tuple(cast(v) for v in value)
    if len(value) != 2 or value[0] > value[1]:
        raise ValueError(f'{name} must be a value or a (min, max) pair with '
                         f'min <= max, got {value}')
    return value


def _luma(rgb: np.ndarray) -> float:
    return float(np.dot(rgb, (0.299, 0.587, 0.114)))


def _random_colors(rng: np.random.Generator, random_color: bool,
                   min_contrast: float) -> Tuple[np.ndarray, np.ndarray]:
    """A background colour and an ink colour whose luminances differ by at
    least ``min_contrast`` (so that every digit stays visible above the
    texture)."""
    for _ in range(1000):
        if random_color:
            bg, ink = rng.uniform(0, 255, size=(2, 3))
        else:
            bg, ink = np.repeat(rng.uniform(0, 255, size=(2, 1)), 3, axis=1)
        if abs(_luma(bg) - _luma(ink)) >= min_contrast:
            return bg, ink
    raise RuntimeError(f'no colour pair reaches min_contrast={min_contrast}')


def _texture(rng: np.random.Generator, canvas: Tuple[int, int],
             amplitude: float, noise: float) -> np.ndarray:
    """Zero-mean ``[H, W, 3]`` float texture: smooth colour blotches (a
    coarse random grid, bicubically upscaled) plus per-pixel noise."""
    import cv2
    h, w = canvas
    coarse = rng.normal(0., amplitude, size=(h // 16 + 2, w // 16 + 2, 3))
    smooth = cv2.resize(
        coarse.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    return smooth + rng.normal(0., noise, size=(h, w, 3)).astype(np.float32)


def _iou(a: Sequence[int], b: Sequence[int]) -> float:
    """IoU of two ``(x, y, w, h)`` rectangles."""
    iw = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    ih = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.
    inter = iw * ih
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


class _DigitStream:
    """Endless walk through a pool of digit indices: a fresh ``rng``
    permutation each pass, so every digit of the split is used before any is
    reused and the classes stay balanced."""

    def __init__(self, pool: np.ndarray, rng: np.random.Generator) -> None:
        self.pool, self.rng = pool, rng
        self.order: List[int] = []

    def next(self) -> int:
        if not self.order:
            self.order = list(self.pool[self.rng.permutation(len(self.pool))])
        return int(self.order.pop())


def _render_split(images: np.ndarray, labels: np.ndarray, pool: np.ndarray,
                  split_id: int, num_images: int, empty_images: int,
                  cfg: dict, img_dir: str) -> dict:
    """Draw and write the images of one split; return its COCO dict."""
    import cv2
    params = ([cv2.IMWRITE_PNG_COMPRESSION, 6] if cfg['img_ext'] == 'png'
              else [cv2.IMWRITE_JPEG_QUALITY, 95])
    h, w = cfg['canvas']
    # Layout (positions, sizes, digits, colours) and texture use separate
    # streams: the layout is then the same whatever the background, which
    # the tests use to check tight boxes on plain backgrounds.
    layout_rng = np.random.default_rng([cfg['seed'], split_id, 0])
    texture_rng = np.random.default_rng([cfg['seed'], split_id, 1])
    stream = _DigitStream(pool, layout_rng)
    coco_images, coco_anns = [], []
    for img_id in range(1, num_images + empty_images + 1):
        bg, ink = _random_colors(layout_rng, cfg['random_color'],
                                 cfg['min_contrast'])
        img = np.empty((h, w, 3), np.float32)
        img[...] = bg
        if cfg['background'] == 'texture':
            img += _texture(texture_rng, (h, w), cfg['texture_amplitude'],
                            cfg['texture_noise'])
            np.clip(img, 0, 255, out=img)
        n_digits = 0
        if img_id <= num_images:  # the last `empty_images` have no digit
            n_digits = int(layout_rng.integers(cfg['digits_per_image'][0],
                                               cfg['digits_per_image'][1] + 1))
        rects: List[Tuple[int, int, int, int]] = []
        for _ in range(n_digits):
            digit = stream.next()
            size = int(layout_rng.integers(cfg['digit_size'][0],
                                           cfg['digit_size'][1] + 1))
            rect = None
            for _ in range(cfg['max_tries']):
                x = int(layout_rng.integers(0, w - size + 1))
                y = int(layout_rng.integers(0, h - size + 1))
                cand = (x, y, size, size)
                if all(
                        _iou(cand, r) <= cfg['max_overlap'] for r in rects):
                    rect = cand
                    break
            if rect is None:  # the canvas is full: fewer digits here
                continue
            x, y = rect[:2]
            # Ink opacity: the 8x8 digit (0..16) bilinearly upscaled.
            alpha = cv2.resize(
                images[digit].astype(np.float32) / 16., (size, size),
                interpolation=cv2.INTER_LINEAR)
            np.clip(alpha, 0., 1., out=alpha)
            ys, xs = np.nonzero(alpha > cfg['ink_thr'])
            if len(xs) == 0:  # pragma: no cover - every digit has ink
                continue
            rects.append(rect)
            patch = img[y:y + size, x:x + size]
            patch *= 1. - alpha[..., None]
            patch += alpha[..., None] * ink.astype(np.float32)
            # The box is tight around the ink (pixels above ink_thr), not
            # the paste square: the 8x8 digits have blank margins.
            x0, y0 = x + int(xs.min()), y + int(ys.min())
            bw, bh = int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)
            coco_anns.append(
                dict(
                    id=len(coco_anns) + 1,
                    image_id=img_id,
                    category_id=int(labels[digit]) + 1,
                    bbox=[x0, y0, bw, bh],
                    area=bw * bh,
                    iscrowd=0,
                    # the source sample of sklearn's load_digits() (extra
                    # field, ignored by pycocotools and mmdet)
                    digit_index=digit))
        file_name = f'{img_id:06d}.{cfg["img_ext"]}'
        # cv2 writes BGR; the colours are drawn as RGB
        img = np.clip(np.rint(img), 0, 255).astype(np.uint8)[..., ::-1]
        if not cv2.imwrite(osp.join(img_dir, file_name), img, params):
            raise OSError(f'could not write {file_name} in {img_dir}')
        coco_images.append(
            dict(id=img_id, file_name=file_name, height=h, width=w))
    coco = dict(
        info=dict(
            description='scikit-learn handwritten digits pasted on '
            'textured canvases (mmlogitkd.datasets.digits_coco)',
            version=str(DIGITS_COCO_VERSION)),
        licenses=[],
        images=coco_images,
        annotations=coco_anns,
        categories=[
            dict(id=i + 1, name=name, supercategory='digit')
            for i, name in enumerate(DIGITS_CLASSES)
        ])
    return coco


def _outputs(root: str, meta: Optional[dict], generated: bool) -> dict:
    return dict(
        data_root=root,
        ann_file={
            s: osp.join(root, 'annotations', f'instances_{s}2017.json')
            for s in SPLITS
        },
        img_dir={s: osp.join(root, f'{s}2017') for s in SPLITS},
        meta_file=osp.join(root, META_FILE),
        metainfo=dict(classes=DIGITS_CLASSES),
        stats=(meta or {}).get('stats'),
        generated=generated)


def make_digits_coco(root: str,
                     num_train: int = 1000,
                     num_val: int = 200,
                     canvas: Tuple[int, int] = (128, 128),
                     digits_per_image: Tuple[int, int] = (2, 6),
                     digit_size: Tuple[int, int] = (16, 48),
                     seed: int = 0,
                     empty_images: int = 0,
                     split_seed: int = 0,
                     max_overlap: float = 0.,
                     ink_thr: float = 0.25,
                     random_color: bool = True,
                     min_contrast: float = 96.,
                     background: str = 'texture',
                     texture_amplitude: float = 20.,
                     texture_noise: float = 6.,
                     img_ext: str = 'png',
                     max_tries: int = 50,
                     force: bool = False) -> Dict:
    """Write a COCO-format digit detection dataset under ``root``.

    Each image is a ``canvas`` of a random background colour (plus a smooth
    colour texture and pixel noise when ``background='texture'``) on which
    ``digits_per_image`` digits of scikit-learn's ``load_digits()`` are
    pasted with a random ink colour, as squares of a random side in
    ``digit_size``. The squares of one image overlap by at most
    ``max_overlap`` IoU (0: disjoint); a digit that finds no room in
    ``max_tries`` draws is dropped. The 10 categories are named ``'0'`` to
    ``'9'`` with COCO-style ids 1 to 10. Every box ``[x, y, w, h]`` is tight
    around the digit's ink, i.e. its pixels of opacity above ``ink_thr``
    (pixel-edge coordinates: ``x + w`` is one past the last ink column), and
    its ``area`` is ``w * h``. Annotations also keep the source sample in
    ``digit_index``.

    Train and val digits never share a source image: the stratified 50/50
    split of :func:`mmlogitkd.datasets.digits.stratified_split` (``seed=
    split_seed``, the split of the classification quick start) gives train
    images the digits of its train half and val images those of its test
    half.

    The result depends only on the arguments (``force`` aside). When
    ``root`` already holds a dataset whose metadata file records the same
    arguments, nothing is done; otherwise the folders written by a previous
    call are replaced.

    Args:
        root (str): Output folder.
        num_train (int): Train images with digits. Defaults to 1000.
        num_val (int): Val images with digits. Defaults to 200.
        canvas (tuple[int, int]): Image ``(height, width)``.
            Defaults to (128, 128).
        digits_per_image (int | tuple[int, int]): Range of the number of
            digits drawn per image (inclusive). Defaults to (2, 6).
        digit_size (int | tuple[int, int]): Range of the side of the pasted
            square, in pixels (inclusive). Defaults to (16, 48).
        seed (int): Seed of the layout, colours and texture. Defaults to 0.
        empty_images (int): Images without any digit added at the end of
            *each* split (an edge case for tests). Defaults to 0.
        split_seed (int): Seed of the train/val split of the source digits.
            Defaults to 0.
        max_overlap (float): Largest IoU between two pasted squares.
            Defaults to 0 (no overlap at all).
        ink_thr (float): Opacity above which a pixel is ink, for the boxes.
            Defaults to 0.25.
        random_color (bool): Random RGB colours; grey ones when False.
            Defaults to True.
        min_contrast (float): Smallest luminance difference between ink and
            background colours. Defaults to 96.
        background (str): ``'texture'`` or ``'plain'`` (one flat colour).
            Defaults to ``'texture'``.
        texture_amplitude (float): Std of the smooth texture. Defaults to 20.
        texture_noise (float): Std of the pixel noise. Defaults to 6.
        img_ext (str): ``'png'`` (lossless: boxes can be checked exactly
            against the pixels) or ``'jpg'``. Defaults to ``'png'``.
        max_tries (int): Position draws per digit. Defaults to 50.
        force (bool): Regenerate even if the metadata match.

    Returns:
        dict: ``data_root``, ``ann_file`` and ``img_dir`` (dicts keyed by
        ``'train'``/``'val'``, absolute paths), ``meta_file``,
        ``metainfo=dict(classes=('0', ..., '9'))`` for mmdet's
        ``CocoDataset``, ``stats`` (images and instances per split) and
        ``generated`` (False when the existing folder was kept).
    """
    canvas = _pair(canvas, 'canvas')
    digits_per_image = _pair(digits_per_image, 'digits_per_image')
    digit_size = _pair(digit_size, 'digit_size')
    if min(canvas) < 1 or digits_per_image[0] < 0 or digit_size[0] < 2:
        raise ValueError('canvas must be positive, digits_per_image >= 0 and '
                         'digit_size >= 2')
    if digit_size[1] > min(canvas):
        raise ValueError(f'digit_size {digit_size} does not fit in the '
                         f'canvas {canvas}')
    if min(num_train, num_val, empty_images) < 0:
        raise ValueError('num_train, num_val and empty_images must be >= 0')
    if background not in ('texture', 'plain'):
        raise ValueError(f"background must be 'texture' or 'plain', got "
                         f'{background!r}')
    img_ext = img_ext.lower().lstrip('.')
    if img_ext not in ('png', 'jpg'):
        raise ValueError(f"img_ext must be 'png' or 'jpg', got {img_ext!r}")
    if not 0. <= max_overlap < 1.:
        raise ValueError(f'max_overlap must be in [0, 1), got {max_overlap}')
    if not 0. <= ink_thr < 1.:
        raise ValueError(f'ink_thr must be in [0, 1), got {ink_thr}')
    if not 0. <= min_contrast <= 200.:
        # beyond ~200 few colour pairs qualify
        raise ValueError(f'min_contrast must be in [0, 200], got '
                         f'{min_contrast}')

    cfg = dict(
        version=DIGITS_COCO_VERSION,
        num_train=int(num_train),
        num_val=int(num_val),
        canvas=canvas,
        digits_per_image=digits_per_image,
        digit_size=digit_size,
        seed=int(seed),
        empty_images=int(empty_images),
        split_seed=int(split_seed),
        max_overlap=float(max_overlap),
        ink_thr=float(ink_thr),
        random_color=bool(random_color),
        min_contrast=float(min_contrast),
        background=background,
        texture_amplitude=float(texture_amplitude),
        texture_noise=float(texture_noise),
        img_ext=img_ext,
        max_tries=int(max_tries))
    args = as_json(cfg)
    root = osp.abspath(root)
    meta_path = osp.join(root, META_FILE)
    out = _outputs(root, None, True)

    old_meta = earlier_meta(meta_path, args)
    if (not force and old_meta is not None
            and all(osp.isfile(p) for p in out['ann_file'].values())):
        return _outputs(root, old_meta, False)

    # Only replace what this function writes; the metadata goes first so
    # that an interrupted run is never taken for a complete one.
    forget_meta(meta_path)
    for split in SPLITS:
        if osp.isdir(out['img_dir'][split]):
            shutil.rmtree(out['img_dir'][split])
        if osp.isfile(out['ann_file'][split]):
            os.remove(out['ann_file'][split])

    images, labels = load_digits_arrays()
    train_pool, val_pool = stratified_split(labels, 0.5, cfg['split_seed'])
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    stats = {}
    for split_id, (split, pool, num) in enumerate(
            zip(SPLITS, (train_pool, val_pool), (num_train, num_val))):
        img_dir = out['img_dir'][split]
        os.makedirs(img_dir, exist_ok=True)
        coco = _render_split(images, labels, pool, split_id, num,
                             cfg['empty_images'], cfg, img_dir)
        with open(out['ann_file'][split], 'w') as f:
            json.dump(coco, f)
        stats[split] = dict(
            images=len(coco['images']), instances=len(coco['annotations']))
    meta = dict(args=args, stats=stats)
    write_meta(meta_path, meta, indent=2)
    return _outputs(root, meta, True)
