# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Market-1501 person re-identification, read in its public layout.

File names are parsed by torchreid's own ``Market1501.process_dir`` (the
rules every Market-1501 number is computed with), called without building
torchreid's dataset object, whose constructor downloads missing data.
"""
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.dataset import BaseDataset

from mmlogitkd.registry import DATASETS

#: the folder of the official archive, optional inside ``data_root``
VERSIONED_DIR = 'Market-1501-v15.09.15'
#: split -> folders it reads, in order
SPLIT_DIRS = {
    'train': ('bounding_box_train', ),
    'query': ('query', ),
    'gallery': ('bounding_box_test', ),
    'test': ('query', 'bounding_box_test'),
}
#: torchreid's file-name rule ``<pid>_c<camera>...``, anchored at the name
NAME_PATTERN = re.compile(r'([-\d]+)_c(\d)')
MAX_PID = 1501  # torchreid's bound; pid 0 = distractor, -1 = junk
NUM_CAMERAS = 6

LAYOUT = f"""Expected the public Market-1501 layout:
  <data_root>/{VERSIONED_DIR}/   (or these folders directly in data_root)
    bounding_box_train/  <pid>_c<cam>s<seq>_<frame>_<box>.jpg, e.g.
                         0002_c1s1_000451_03.jpg (751 identities)
    query/               3368 images
    bounding_box_test/   19732 images, pid 0000 = distractor, -1 = junk
Download Market-1501-v15.09.15.zip and unzip it into the data_root."""


def market1501_data_dir(data_root: str) -> str:
    """The folder holding the split folders: ``data_root/Market-1501-
    v15.09.15`` when it exists (torchreid's layout), else ``data_root``."""
    versioned = osp.join(data_root, VERSIONED_DIR)
    return versioned if osp.isdir(versioned) else data_root


def _parse_name(path: str) -> Tuple[int, int]:
    """``(pid, camera 1..6)`` of one image file, or a ``ValueError`` naming
    the file."""
    name = osp.basename(path)
    match = NAME_PATTERN.match(name)
    try:
        pid, cam = (int(g) for g in match.groups())  # type: ignore
    except (AttributeError, ValueError):
        raise ValueError(
            f'Market-1501 file name does not match "<pid>_c<camera>...": '
            f'{path}\n{LAYOUT}') from None
    if not -1 <= pid <= MAX_PID or not 1 <= cam <= NUM_CAMERAS:
        raise ValueError(
            f'Market-1501 file name has pid {pid} (expected -1..{MAX_PID}) '
            f'or camera {cam} (expected 1..{NUM_CAMERAS}): {path}')
    return pid, cam


def _torchreid_process_dir(folder: str) -> List[Tuple[str, int, int]]:
    """torchreid's parser of one folder: ``(path, pid, camid)`` with junk
    (pid -1) dropped and 0-based cameras, without relabelling.

    ``process_dir`` uses nothing of its instance, so it is called unbound:
    building torchreid's ``Market1501`` would download missing data.
    """
    try:
        from torchreid.reid.data.datasets.image.market1501 import Market1501
    except ImportError as e:  # pragma: no cover - depends on the env
        raise ImportError('Market1501Dataset parses file names with '
                          'torchreid; install it with `pip install '
                          'torchreid==0.2.5` (tools/install.sh does).') from e
    return Market1501.process_dir(None, folder, relabel=False)


def parse_market1501_dir(folder: str) -> List[Tuple[str, int, int]]:
    """Every kept image of one Market-1501 folder.

    Args:
        folder (str): ``bounding_box_train``, ``query`` or
            ``bounding_box_test``.

    Returns:
        list[tuple[str, int, int]]: ``(path, pid, camid)`` sorted by path;
        junk images (pid -1) dropped, distractors (pid 0) kept, ``camid``
        0-based (``c1`` -> 0), pids as in the file names.

    Raises:
        FileNotFoundError: The folder is missing or holds no ``*.jpg``.
        ValueError: A file name that does not follow the rule (named).
    """
    if not osp.isdir(folder):
        raise FileNotFoundError(
            f'Market-1501 folder not found: {folder}\n{LAYOUT}')
    # what torchreid's glob('*.jpg') lists
    names = sorted(n for n in os.listdir(folder)
                   if n.endswith('.jpg') and not n.startswith('.'))
    if not names:
        raise FileNotFoundError(
            f'Market-1501 folder has no .jpg images: {folder}\n{LAYOUT}')
    expected = {}
    for name in names:  # clear errors before torchreid's bare asserts
        path = osp.join(folder, name)
        pid, cam = _parse_name(path)
        if pid != -1:
            expected[osp.normpath(path)] = (pid, cam - 1)
    items = sorted((osp.normpath(path), pid, camid)
                   for path, pid, camid in _torchreid_process_dir(folder))
    # torchreid searches the rule in the whole path: a folder named like
    # "x_c1" above the images would be read as their pid and camera.
    for path, pid, camid in items:
        if expected.get(path) != (pid, camid):
            raise ValueError(
                f'torchreid read {path} as pid {pid}, camera {camid}, '
                f'but its name says {expected.get(path)}: a folder of the '
                f'path matches "<digits>_c<digit>". Move the dataset to a '
                'path without such a folder name.')
    if len(items) != len(expected):
        raise ValueError(f'torchreid kept {len(items)} images of {folder}, '
                         f'expected {len(expected)}')
    return items


@DATASETS.register_module()
class Market1501Dataset(BaseDataset):
    """Market-1501 (Zheng et al., ICCV 2015) for person re-identification.

    Reads the public layout (see :data:`LAYOUT`); nothing is downloaded, and
    a missing or empty folder or a malformed file name fails here, naming
    the path. Images are parsed by torchreid's rules
    (:func:`parse_market1501_dir`): junk (pid -1) dropped, distractors
    (pid 0) kept in the gallery, cameras 0-based. Training identities are
    relabelled ``0..750`` in increasing pid order (what torchreid's set
    order gives on Market-1501's pids), so ``gt_label`` indexes the 751
    identity logits.

    Every sample is ``dict(img_path, gt_label, pid, camid, is_query)``:
    ``gt_label`` the relabelled pid for ``'train'``, the pid otherwise;
    ``pid`` always the pid of the file name. Pack ``pid``, ``camid`` and
    ``is_query`` with ``PackInputs(meta_keys=...)`` so that they reach the
    data samples and :class:`~mmlogitkd.evaluation.ReIDMetric`.

    Args:
        data_root (str): The folder holding ``Market-1501-v15.09.15/`` (or
            its split folders directly).
        split (str): ``'train'`` (12,936 images of 751 identities),
            ``'query'`` (3,368), ``'gallery'`` (15,913) or ``'test'`` (query
            followed by gallery, for evaluation).
        pipeline (Sequence[dict]): Data transforms.
        test_mode (bool, optional): Defaults to ``split != 'train'``.
        **kwargs: Other arguments of mmengine's ``BaseDataset`` (e.g.
            ``indices``).

    Example:
        >>> ds = Market1501Dataset('data/market1501', split='test')
        >>> ds.metainfo['num_query'], ds.get_data_info(0)['is_query']
        (3368, True)
    """

    METAINFO = dict(dataset_name='Market-1501')

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 pipeline: Sequence = (),
                 test_mode: Optional[bool] = None,
                 **kwargs) -> None:
        if split not in SPLIT_DIRS:
            raise ValueError(f'split must be one of {list(SPLIT_DIRS)}, got '
                             f'{split!r}')
        if not data_root or not osp.isdir(data_root):
            raise FileNotFoundError(
                f'Market-1501 data_root not found: {data_root!r}\n{LAYOUT}')
        self.split = split
        if test_mode is None:
            test_mode = split != 'train'
        super().__init__(
            ann_file='',
            data_root=data_root,
            pipeline=pipeline,
            test_mode=test_mode,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        data_dir = market1501_data_dir(self.data_root)
        data_list: List[dict] = []
        for folder in SPLIT_DIRS[self.split]:
            is_query = folder == 'query'
            items = parse_market1501_dir(osp.join(data_dir, folder))
            label_of: Dict[int, int] = {}
            if self.split == 'train':
                label_of = {
                    pid: i
                    for i, pid in enumerate(sorted({p for _, p, _ in items}))
                }
            data_list += [
                dict(
                    img_path=path,
                    gt_label=label_of.get(pid, pid),
                    pid=pid,
                    camid=camid,
                    is_query=is_query) for path, pid, camid in items
            ]
        # identity count and query count, for configs and the metric's logs
        self._metainfo.update(
            num_pids=len({info['pid'] for info in data_list}),
            num_query=sum(info['is_query'] for info in data_list))
        return data_list
