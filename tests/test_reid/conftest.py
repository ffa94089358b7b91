# Copyright (c) mmlogitkd contributors. All rights reserved.
"""A tiny Market-1501 written in the public layout, and small torchreid
models, for the re-identification tests."""
import os
import os.path as osp
from collections import namedtuple

import numpy as np
import pytest
import torch
from PIL import Image

from mmlogitkd.apis import register_all_modules

register_all_modules()

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
VERSIONED = 'Market-1501-v15.09.15'
# Training identities; a Python set of them iterates 1500 before 30 (which
# torchreid's relabelling would follow); 1500 has fewer images than K=4.
TRAIN_IMAGES = {2: 5, 9: 6, 11: 5, 30: 4, 45: 5, 1500: 2}
TEST_PIDS = (3, 7, 12, 40)
NUM_TRAIN_IDS = len(TRAIN_IMAGES)
HEIGHT, WIDTH = 32, 16

Image_ = namedtuple('Image_', 'folder name pid cam')


def _colour(pid: int) -> np.ndarray:
    """The colour of an identity."""
    rng = np.random.default_rng(pid + 7)
    return rng.integers(30, 226, size=3).astype(np.float64)


def _write(folder: str, name: str, pid: int, rng) -> None:
    """A crop half the identity's colour, half a colour of its own (as
    lighting changes between cameras), plus noise: learnable, but not so
    easy that a random network ranks every query right (mAP ~45%)."""
    own = rng.integers(30, 226, size=3)
    base = 0.5 * (_colour(pid) if pid > 0 else np.full(3, 128.)) + 0.5 * own
    img = base + rng.normal(0, 12, (HEIGHT, WIDTH, 3))
    img[:HEIGHT // 2] += 40  # upper / lower body differ, as in real crops
    Image.fromarray(img.clip(0, 255).astype(np.uint8)).save(
        osp.join(folder, name), quality=95)


def market_images():
    """What the generator writes: ``Image_(folder, name, pid, cam)``,
    cameras 1-based as in the file names."""
    images = []

    def add(folder, pid, cam, frame):
        name = f'{pid:04d}' if pid >= 0 else str(pid)
        name += f'_c{cam}s1_{frame:06d}_0{frame % 10}.jpg'
        images.append(Image_(folder, name, pid, cam))

    frame = 0
    for pid, count in TRAIN_IMAGES.items():
        for i in range(count):
            frame += 1
            add('bounding_box_train', pid, 1 + i % 6, frame)
    add('bounding_box_train', -1, 2, 999)  # junk: dropped by torchreid
    for pid in TEST_PIDS:
        for cam in (1, 2):  # one query per camera
            frame += 1
            add('query', pid, cam, frame)
        for cam in (1, 2, 3, 4, 5):  # same-camera images included
            frame += 1
            add('bounding_box_test', pid, cam, frame)
    for cam in (1, 3, 6):  # distractors: kept in the gallery
        frame += 1
        add('bounding_box_test', 0, cam, frame)
    for cam in (2, 5):  # junk: dropped
        frame += 1
        add('bounding_box_test', -1, cam, frame)
    return images


def write_market1501(root: str, versioned: bool = True) -> str:
    """Write the tiny Market-1501 under ``root``; returns ``root`` (the
    ``data_root``)."""
    data_dir = osp.join(root, VERSIONED) if versioned else root
    rng = np.random.default_rng(0)
    for img in market_images():
        folder = osp.join(data_dir, img.folder)
        os.makedirs(folder, exist_ok=True)
        _write(folder, img.name, img.pid, rng)
    return root


@pytest.fixture(autouse=True)
def one_thread():
    """These models are small: one intra-op thread is fastest, and on a
    busy 2-core machine two threads stall each other (10-30x slower)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='session')
def market_root(tmp_path_factory):
    return write_market1501(str(tmp_path_factory.mktemp('market1501')))


def torchreid_checkpoint(net: torch.nn.Module, save_dir: str,
                         data_parallel: bool = False) -> str:
    """Save ``net`` with torchreid's own ``save_checkpoint`` (weights,
    epoch, rank1, optimizer state), optionally as ``nn.DataParallel`` would
    name the weights; returns the file."""
    from torchreid.reid.utils import save_checkpoint
    state_dict = net.state_dict()
    if data_parallel:
        state_dict = {f'module.{k}': v for k, v in state_dict.items()}
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-4)
    save_checkpoint(
        dict(
            state_dict=state_dict,
            epoch=60,
            rank1=0.5,
            optimizer=optimizer.state_dict()), save_dir)
    return osp.join(save_dir, 'model.pth.tar-60')


def perturb_(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Move every weight and BN statistic away from its initial value, so
    that copies and loads are checked on non-trivial numbers."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if t.is_floating_point():
                noise = torch.randn(t.shape, generator=g) * 0.05
                t.copy_(t.abs() + 0.1 + noise if 'running_var' in name
                        else t + noise)
    return model
