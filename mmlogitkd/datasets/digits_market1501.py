# Copyright (c) mmlogitkd contributors. All rights reserved.
"""A Market-1501-format re-identification set made of scikit-learn's
handwritten digits.

The re-identification counterpart of :mod:`mmlogitkd.datasets.digits` and
:mod:`mmlogitkd.datasets.digits_coco`. An *identity* is one real object:
one handwritten sample (one row of ``sklearn.datasets.load_digits()``),
never a digit class; its images are that one sample seen by several
cameras. Each camera has its own imaging style, a pure function of its id
(:data:`CAMERA_STYLES`: ink and background colours, lighting gradient,
blur, contrast, noise, a small offset), and every image adds small seeded
changes of position and scale, as a person's crops differ from frame to
frame. The files are written in the public layout of Market-1501::

    root/Market-1501-v15.09.15/bounding_box_train/0002_c1s1_000451_03.jpg
    root/Market-1501-v15.09.15/query/...
    root/Market-1501-v15.09.15/bounding_box_test/...   (+ 0000_*, -1_*)
    root/digits_market1501_meta.json     # arguments, stats, every image

and read by :class:`~mmlogitkd.datasets.Market1501Dataset` exactly as the
real archive is (torchreid's file-name rules). As in Market-1501:

- training and test identities are disjoint (open set), with pids drawn
  from 1..1501; the training identities are relabelled ``0..T-1`` by the
  dataset class;
- every identity is seen by at least two cameras; the query holds one image
  per (test identity, camera), the gallery one or more per (test identity,
  camera), so every query has a true match in another camera (the
  protocol ignores same-camera matches of the same identity);
- the gallery holds distractors (pid ``0000``: crops with no identity,
  half of them empty background, half of them other handwritten samples
  that are nobody's identity) and junk (pid ``-1``: badly placed crops of
  a test identity, most of the digit outside), which torchreid drops.

Nothing is downloaded, and the same arguments give the same files byte for
byte.
"""
import os
import os.path as osp
import shutil
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .digits import load_digits_arrays
from .generated_once import as_json, earlier_meta, forget_meta, write_meta

# Bump when the rendering changes, so that old folders are regenerated.
DIGITS_MARKET1501_VERSION = 1
META_FILE = 'digits_market1501_meta.json'
#: the archive's folder inside ``root`` (read by Market1501Dataset)
VERSIONED_DIR = 'Market-1501-v15.09.15'
TRAIN_DIR, QUERY_DIR, GALLERY_DIR = ('bounding_box_train', 'query',
                                     'bounding_box_test')
NUM_CAMERAS = 6
MAX_PID = 1501

#: Imaging style of cameras 1..6: background and ink colours (RGB), a
#: lighting gradient from top to bottom (relative), Gaussian blur sigma
#: (pixels), contrast about mid-grey, pixel noise std and the offset of the
#: crop's centre (dx, dy pixels: each camera frames people a little
#: differently). Dark ink on a lighter ground in every camera, as the
#: cameras of one site see the same people under other light and colour
#: balance.
CAMERA_STYLES = (
    dict(bg=(200, 200, 195), ink=(30, 30, 40), gradient=0.10, blur=0.0,
         contrast=1.00, noise=4., offset=(0, 0)),
    dict(bg=(180, 188, 210), ink=(35, 40, 70), gradient=-0.15, blur=0.6,
         contrast=0.90, noise=5., offset=(2, -2)),
    dict(bg=(180, 200, 170), ink=(30, 50, 30), gradient=0.15, blur=0.4,
         contrast=0.85, noise=5., offset=(-2, 2)),
    dict(bg=(170, 160, 155), ink=(45, 30, 30), gradient=0.0, blur=0.9,
         contrast=1.05, noise=3., offset=(1, 3)),
    dict(bg=(225, 210, 175), ink=(80, 45, 25), gradient=-0.10, blur=0.2,
         contrast=0.90, noise=6., offset=(-2, -1)),
    dict(bg=(150, 150, 155), ink=(20, 25, 40), gradient=0.20, blur=0.7,
         contrast=1.10, noise=4., offset=(2, 1)),
)


def camera_style(cam: int) -> dict:
    """The imaging style of camera ``cam`` (1-based, as in the file names):
    a function of the camera id alone (:data:`CAMERA_STYLES`)."""
    if not 1 <= cam <= NUM_CAMERAS:
        raise ValueError(f'camera must be in 1..{NUM_CAMERAS}, got {cam}')
    return CAMERA_STYLES[cam - 1]


def _range(value, name: str, cast=int) -> Tuple:
    """``v`` or ``(lo, hi)`` -> ``(lo, hi)`` with ``lo <= hi``."""
    if np.isscalar(value):
        value = (value, value)
    value = tuple(cast(v) for v in value)
    if len(value) != 2 or value[0] > value[1]:
        raise ValueError(f'{name} must be a value or a (min, max) pair with '
                         f'min <= max, got {value}')
    return value


def render_crop(digit: Optional[np.ndarray], cam: int,
                img_size: Tuple[int, int], scale: float, aspect: float,
                shift: Tuple[int, int], noise_seed: int) -> np.ndarray:
    """One crop of a handwritten sample seen by camera ``cam``.

    The 8x8 sample (values 0..16, the ink's opacity) is bilinearly resized
    to a box of about 0.78 of the crop's height and 0.8 of its width (times
    ``scale``; the width also times ``aspect``), centred on the crop's
    centre plus the camera's offset plus ``shift``, inked over the camera's
    background, then blurred, contrasted and noised in its style.

    Args:
        digit (ndarray | None): ``[8, 8]`` sample; None: background only.
        cam (int): Camera 1..6.
        img_size (tuple[int, int]): ``(height, width)`` of the crop.
        scale (float): Size of the digit's box, relative.
        aspect (float): Extra factor of the box's width.
        shift (tuple[int, int]): ``(dx, dy)`` pixels beyond the camera's
            offset.
        noise_seed (int): Seed of the pixel noise.

    Returns:
        ndarray: ``[H, W, 3]`` uint8 RGB.
    """
    import cv2
    style = camera_style(cam)
    h, w = img_size
    rows = (np.arange(h, dtype=np.float32) + 0.5) / h - 0.5  # [H]
    light = 1. + style['gradient'] * rows[:, None, None]  # [H, 1, 1]
    img = np.empty((h, w, 3), np.float32)
    img[...] = np.asarray(style['bg'], np.float32)
    if digit is not None:
        box_h = max(2, int(round(0.78 * h * scale)))
        box_w = max(2, int(round(0.8 * w * scale * aspect)))
        alpha = cv2.resize(
            digit.astype(np.float32) / 16., (box_w, box_h),
            interpolation=cv2.INTER_LINEAR)
        np.clip(alpha, 0., 1., out=alpha)
        x0 = int(round(w / 2 + style['offset'][0] + shift[0] - box_w / 2))
        y0 = int(round(h / 2 + style['offset'][1] + shift[1] - box_h / 2))
        # the part of the box inside the crop (a junk crop cuts most off)
        cx0, cy0 = max(x0, 0), max(y0, 0)
        cx1, cy1 = min(x0 + box_w, w), min(y0 + box_h, h)
        if cx1 > cx0 and cy1 > cy0:
            a = alpha[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0, None]
            patch = img[cy0:cy1, cx0:cx1]
            patch *= 1. - a
            patch += a * np.asarray(style['ink'], np.float32)
    img *= light
    if style['blur'] > 0:
        img = cv2.GaussianBlur(img, (0, 0), style['blur'])
    img = (img - 128.) * style['contrast'] + 128.
    rng = np.random.default_rng(noise_seed)
    img += rng.normal(0., style['noise'], size=img.shape).astype(np.float32)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


class _Names:
    """Unique Market-1501 file names ``<pid>_c<cam>s<seq>_<frame>_<box>``:
    pid as 4 digits (``-1`` as it is), sequence 1-6, frame 6 digits, box 2
    digits, as in ``0002_c1s1_000451_03.jpg``."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.used = set()

    def next(self, pid: int, cam: int) -> str:
        while True:
            seq = int(self.rng.integers(1, 7))
            frame = int(self.rng.integers(0, 1000000))
            box = int(self.rng.integers(1, 9))
            pid_text = f'{pid:04d}' if pid >= 0 else str(pid)
            name = f'{pid_text}_c{cam}s{seq}_{frame:06d}_{box:02d}.jpg'
            if name not in self.used:
                self.used.add(name)
                return name


def _outputs(root: str, meta: Optional[dict], generated: bool) -> dict:
    data_dir = osp.join(root, VERSIONED_DIR)
    return dict(
        data_root=root,
        data_dir=data_dir,
        dirs={
            split: osp.join(data_dir, folder)
            for split, folder in (('train', TRAIN_DIR), ('query', QUERY_DIR),
                                  ('gallery', GALLERY_DIR))
        },
        meta_file=osp.join(root, META_FILE),
        stats=(meta or {}).get('stats'),
        generated=generated)


def make_digits_market1501(root: str,
                           num_train_ids: int = 200,
                           num_test_ids: int = 100,
                           cameras_per_id: Tuple[int, int] = (2, 4),
                           train_images_per_camera: Tuple[int, int] = (1, 3),
                           gallery_images_per_camera: Tuple[int,
                                                            int] = (1, 2),
                           num_distractors: int = 100,
                           num_junk: int = 40,
                           img_size: Tuple[int, int] = (48, 24),
                           scale: Tuple[float, float] = (0.85, 1.0),
                           aspect: Tuple[float, float] = (0.9, 1.1),
                           max_shift: Tuple[int, int] = (2, 3),
                           seed: int = 0,
                           jpeg_quality: int = 95,
                           force: bool = False) -> Dict:
    """Write a Market-1501-format set of handwritten-digit identities.

    The rows of ``load_digits()`` are permuted with ``seed``: the first
    ``num_train_ids`` are the training identities, the next
    ``num_test_ids`` the test identities, the next ``num_distractors // 2``
    the samples of the digit distractors. The pids of the identities are
    distinct numbers of 1..1501, drawn with ``seed``. Each identity is seen
    by a number of cameras in ``cameras_per_id`` (at least 2, distinct
    cameras drawn from 1..6): a training identity by
    ``train_images_per_camera`` images per camera; a test identity by one
    query image and ``gallery_images_per_camera`` gallery images per
    camera. Every image is :func:`render_crop` of the identity's sample
    through its camera with a seeded ``scale``, ``aspect`` and shift (up to
    ``max_shift`` = ``(dx, dy)`` pixels).

    The result depends only on the arguments (``force`` aside). When
    ``root`` already holds a set whose metadata file records the same
    arguments, nothing is done; otherwise the folders written by a previous
    call are replaced.

    Args:
        root (str): Output folder (the ``data_root`` of
            :class:`~mmlogitkd.datasets.Market1501Dataset`).
        num_train_ids (int): Training identities. Defaults to 200.
        num_test_ids (int): Test identities. Defaults to 100.
        cameras_per_id (int | tuple[int, int]): Range of the cameras that
            see one identity (inclusive, within 2..6). Defaults to (2, 4).
        train_images_per_camera (int | tuple[int, int]): Range of the
            training images of one identity in one camera. Defaults to
            (1, 3).
        gallery_images_per_camera (int | tuple[int, int]): Range of the
            gallery images of one test identity in one camera. Defaults to
            (1, 2).
        num_distractors (int): Gallery images of pid 0000. Defaults to 100.
        num_junk (int): Gallery images of pid -1. Defaults to 40.
        img_size (tuple[int, int]): ``(height, width)`` of the crops, 2:1
            as person crops. Defaults to (48, 24).
        scale (tuple[float, float]): Range of the digit's relative size.
        aspect (tuple[float, float]): Range of the extra width factor.
        max_shift (tuple[int, int]): Largest ``(dx, dy)`` shift, pixels.
            Defaults to (2, 3).
        seed (int): Seed of everything drawn. Defaults to 0.
        jpeg_quality (int): Quality of the JPEG files. Defaults to 95.
        force (bool): Regenerate even if the metadata match.

    Returns:
        dict: ``data_root`` (``root``, absolute), ``data_dir`` (its
        ``Market-1501-v15.09.15``), ``dirs`` (``'train'``, ``'query'``,
        ``'gallery'`` folders), ``meta_file``, ``stats`` (images and
        identities per folder) and ``generated`` (False when the existing
        folder was kept). The metadata file lists every image as
        ``[folder, file name, pid, camera, digits row, scale, aspect, dx,
        dy, noise seed]`` (row -1: an empty distractor), from which
        :func:`render_crop` redraws it.
    """
    cameras_per_id = _range(cameras_per_id, 'cameras_per_id')
    train_images_per_camera = _range(train_images_per_camera,
                                     'train_images_per_camera')
    gallery_images_per_camera = _range(gallery_images_per_camera,
                                       'gallery_images_per_camera')
    img_size = (int(img_size), ) * 2 if np.isscalar(img_size) else tuple(
        int(v) for v in img_size)
    scale = _range(scale, 'scale', float)
    aspect = _range(aspect, 'aspect', float)
    max_shift = tuple(int(v) for v in max_shift)
    if not 2 <= cameras_per_id[0] <= cameras_per_id[1] <= NUM_CAMERAS:
        raise ValueError(f'cameras_per_id must lie in 2..{NUM_CAMERAS} (an '
                         'identity is seen by at least two cameras), got '
                         f'{cameras_per_id}')
    if train_images_per_camera[0] < 1 or gallery_images_per_camera[0] < 1:
        raise ValueError('train_images_per_camera and '
                         'gallery_images_per_camera must be >= 1')
    if num_train_ids < 1 or num_test_ids < 1:
        raise ValueError('num_train_ids and num_test_ids must be >= 1')
    if num_train_ids + num_test_ids > MAX_PID:
        raise ValueError(f'at most {MAX_PID} identities (Market-1501 pids '
                         f'1..{MAX_PID}), got {num_train_ids + num_test_ids}')
    if min(num_distractors, num_junk) < 0:
        raise ValueError('num_distractors and num_junk must be >= 0')
    if len(img_size) != 2 or min(img_size) < 8:
        raise ValueError(f'img_size must be (height, width) >= 8, got '
                         f'{img_size}')
    if len(max_shift) != 2 or min(max_shift) < 0:
        raise ValueError(f'max_shift must be (dx, dy) >= 0, got {max_shift}')
    images_all, _ = load_digits_arrays()
    needed = num_train_ids + num_test_ids + num_distractors // 2
    if needed > len(images_all):
        raise ValueError(f'{needed} handwritten samples needed, '
                         f'load_digits() has {len(images_all)}')

    cfg = dict(
        version=DIGITS_MARKET1501_VERSION,
        num_train_ids=int(num_train_ids),
        num_test_ids=int(num_test_ids),
        cameras_per_id=cameras_per_id,
        train_images_per_camera=train_images_per_camera,
        gallery_images_per_camera=gallery_images_per_camera,
        num_distractors=int(num_distractors),
        num_junk=int(num_junk),
        img_size=img_size,
        scale=scale,
        aspect=aspect,
        max_shift=max_shift,
        seed=int(seed),
        jpeg_quality=int(jpeg_quality))
    args = as_json(cfg)
    root = osp.abspath(root)
    meta_path = osp.join(root, META_FILE)
    out = _outputs(root, None, True)
    old_meta = earlier_meta(meta_path, args)
    if (not force and old_meta is not None
            and all(osp.isdir(d) for d in out['dirs'].values())):
        return _outputs(root, old_meta, False)

    # Only replace what this function writes; the metadata goes first so
    # that an interrupted run is never taken for a complete one.
    forget_meta(meta_path)
    if osp.isdir(out['data_dir']):
        shutil.rmtree(out['data_dir'])

    records = _draw(images_all, cfg)
    _write(images_all, records, cfg, out['data_dir'])
    stats = {}
    for folder in (TRAIN_DIR, QUERY_DIR, GALLERY_DIR):
        mine = [r for r in records if r[0] == folder]
        stats[folder] = dict(
            images=len(mine),
            identities=len({r[2] for r in mine if r[2] > 0}),
            distractors=sum(r[2] == 0 for r in mine),
            junk=sum(r[2] == -1 for r in mine))
    meta = dict(args=args, stats=stats, images=records)
    write_meta(meta_path, meta)
    return _outputs(root, meta, True)


def _draw(images: np.ndarray, cfg: dict) -> List[list]:
    """Every image to write, as ``[folder, name, pid, cam, row, scale,
    aspect, dx, dy, noise_seed]`` (see :func:`make_digits_market1501`)."""
    rng = np.random.default_rng([cfg['seed'], 1501])
    rows = rng.permutation(len(images))
    n_train, n_test = cfg['num_train_ids'], cfg['num_test_ids']
    train_rows = rows[:n_train]
    test_rows = rows[n_train:n_train + n_test]
    distractor_rows = rows[n_train + n_test:n_train + n_test +
                           cfg['num_distractors'] // 2]
    pids = rng.choice(np.arange(1, MAX_PID + 1), n_train + n_test,
                      replace=False)
    train_pids, test_pids = np.sort(pids[:n_train]), np.sort(pids[n_train:])
    names = _Names(rng)
    records: List[list] = []
    (lo_s, hi_s), (lo_a, hi_a) = cfg['scale'], cfg['aspect']
    sx, sy = cfg['max_shift']

    def add(folder, pid, cam, row, shift=None):
        dx, dy = shift if shift is not None else (
            int(rng.integers(-sx, sx + 1)), int(rng.integers(-sy, sy + 1)))
        records.append([
            folder,
            names.next(pid, cam), int(pid), int(cam), int(row),
            round(float(rng.uniform(lo_s, hi_s)), 4),
            round(float(rng.uniform(lo_a, hi_a)), 4), dx, dy,
            int(rng.integers(0, 2**31))
        ])

    def cameras():
        count = int(rng.integers(cfg['cameras_per_id'][0],
                                 cfg['cameras_per_id'][1] + 1))
        return np.sort(rng.choice(np.arange(1, NUM_CAMERAS + 1), count,
                                  replace=False))

    def count(bounds):
        return int(rng.integers(bounds[0], bounds[1] + 1))

    for pid, row in zip(train_pids, train_rows):
        for cam in cameras():
            for _ in range(count(cfg['train_images_per_camera'])):
                add(TRAIN_DIR, pid, cam, row)
    for pid, row in zip(test_pids, test_rows):
        for cam in cameras():
            add(QUERY_DIR, pid, cam, row)
            for _ in range(count(cfg['gallery_images_per_camera'])):
                add(GALLERY_DIR, pid, cam, row)
    h, w = cfg['img_size']
    for i in range(cfg['num_distractors']):
        # half other people's samples, half empty crops (false alarms)
        row = distractor_rows[i // 2] if i % 2 == 0 and i // 2 < len(
            distractor_rows) else -1
        add(GALLERY_DIR, 0, int(rng.integers(1, NUM_CAMERAS + 1)), row)
    for _ in range(cfg['num_junk']):
        # a test identity's crop with most of the digit outside it
        row = test_rows[int(rng.integers(0, n_test))]
        horizontal = bool(rng.integers(0, 2))
        side = 1 if rng.integers(0, 2) else -1
        shift = (side * int(round(0.7 * w)),
                 0) if horizontal else (0, side * int(round(0.65 * h)))
        add(GALLERY_DIR, -1, int(rng.integers(1, NUM_CAMERAS + 1)), row,
            shift)
    return records


def _write(images: np.ndarray, records: Sequence[list], cfg: dict,
           data_dir: str) -> None:
    import cv2
    params = [cv2.IMWRITE_JPEG_QUALITY, cfg['jpeg_quality']]
    for folder in (TRAIN_DIR, QUERY_DIR, GALLERY_DIR):
        os.makedirs(osp.join(data_dir, folder), exist_ok=True)
    for folder, name, _, cam, row, scale, aspect, dx, dy, noise in records:
        img = render_crop(images[row] if row >= 0 else None, cam,
                          tuple(cfg['img_size']), scale, aspect, (dx, dy),
                          noise)
        path = osp.join(data_dir, folder, name)
        # cv2 writes BGR; the styles are RGB
        if not cv2.imwrite(path, img[..., ::-1], params):
            raise OSError(f'could not write {path}')
