# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Malicious, harmless and broken checkpoint files for the reliability
tests, and proof that the malicious ones really act when unpickled plainly
(so that "refused, marker not created" means something)."""
import builtins
import importlib
import os
import os.path as osp
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


class OpenPayload:
    """Unpickling this creates ``marker`` (``open(marker, 'w')``)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (builtins.open, (self.marker, 'w'))


class SystemPayload:
    """Unpickling this runs ``touch marker`` (``os.system``)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


PAYLOADS = {'open': OpenPayload, 'system': SystemPayload}
#: the global the refusal must name, per payload
OFFENDING = {'open': 'open', 'system': 'system'}

HARMLESS_MODULE = 'mmlogitkd_harmless_payload'
HARMLESS_SOURCE = '''
class Harmless:
    """An object outside the allow-list that does nothing when loaded."""

    def __init__(self, value=1):
        self.value = value

    def __eq__(self, other):
        return isinstance(other, Harmless) and other.value == self.value
'''


@pytest.fixture(scope='session')
def harmless(tmp_path_factory):
    """``(Harmless class, folder of its module)``: importable here (the
    folder is put on ``sys.path``) and by a subprocess given the folder in
    ``PYTHONPATH``."""
    folder = tmp_path_factory.mktemp('harmless')
    (folder / f'{HARMLESS_MODULE}.py').write_text(HARMLESS_SOURCE)
    sys.path.insert(0, str(folder))
    module = importlib.import_module(HARMLESS_MODULE)
    yield module.Harmless, str(folder)
    sys.path.remove(str(folder))


def save_with(path, state_dict, extra, layout='mmengine'):
    """``torch.save`` ``state_dict`` in a checkpoint layout with ``extra``
    (a payload object) beside it."""
    if layout == 'mmengine':
        obj = dict(state_dict=state_dict, meta=dict(extra=extra))
    elif layout == 'mdistiller':
        obj = dict(model=state_dict, epoch=240, extra=extra)
    else:
        raise ValueError(layout)
    torch.save(obj, path)
    return str(path)


def save_detectron2(path, arrays, extra=None):
    """A Detectron2 model-zoo style pickle, ``extra`` as its author."""
    obj = {'model': arrays, '__author__': extra or 'test'}
    with open(path, 'wb') as f:
        pickle.dump(obj, f, protocol=2)
    return str(path)


def broken_files(folder, good):
    """``kind -> path`` of files that are no checkpoint: random bytes, a
    text file, an empty file, and ``good`` (a torch.save zip) truncated."""
    folder = str(folder)
    data = Path(good).read_bytes()
    files = {}
    files['random'] = osp.join(folder, 'random.pth')
    with open(files['random'], 'wb') as f:
        # not starting like a pickle or a zip, as random data almost surely
        f.write(b'\x13\x37' + np.random.default_rng(0).bytes(4094))
    files['text'] = osp.join(folder, 'notes.pth')
    with open(files['text'], 'w') as f:
        f.write('epoch 12, top-1 73.2\n')  # 'e' was torch's KeyError: 101
    files['empty'] = osp.join(folder, 'empty.pth')
    open(files['empty'], 'wb').close()
    files['truncated'] = osp.join(folder, 'truncated.pth')
    with open(files['truncated'], 'wb') as f:
        f.write(data[:len(data) // 2])
    return files


BROKEN_KINDS = ('random', 'text', 'empty', 'truncated')


def assert_reported_broken(err, path):
    """The error names the file, says it is no (complete) checkpoint, and
    neither calls it unsafe nor passes on torch's advice."""
    from mmlogitkd.utils import CorruptCheckpointError
    message = str(err)
    assert isinstance(err, CorruptCheckpointError), repr(err)
    assert str(path) in message
    assert ('not a checkpoint' in message or 'truncated' in message
            or 'damaged' in message), message
    assert 'weights_only=False' not in message
    assert 'weights_only` set to `False' not in message
    assert 'Refused' not in message and 'allow-list' not in message
    assert 'KeyError: 101' not in message


def assert_refused(err, path, payload, marker):
    """The error names the file and the offending global, says how to opt
    in, and nothing ran."""
    from mmlogitkd.utils import UnsafeCheckpointError
    message = str(err)
    assert isinstance(err, UnsafeCheckpointError), repr(err)
    assert str(path) in message, message
    assert OFFENDING[payload] in message, message
    assert 'allow' in message and 'unsafe' in message, message
    assert 'weights_only=False' not in message
    assert not osp.exists(marker), 'the payload ran'


# --------------------------------------------------------------------------
# A tiny distillation setup for the tools (seconds per epoch on a CPU)
# --------------------------------------------------------------------------

NUM_CLASSES = 4

CLASSIFIER = """dict(
    type='mmpretrain.ImageClassifier',
    backbone=dict(type='mmlogitkd.CifarResNet', arch='{arch}'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=%d, in_channels=64,
              loss=dict(type='CrossEntropyLoss')))""" % NUM_CLASSES

CONFIG = """
_base_ = ['{root}/configs/_base_/default_runtime.py']
model = dict(
    type='ClsLogitDistiller',
    student={student},
    teacher={teacher},
    teacher_ckpt='{teacher_ckpt}',
    distill_losses=dict(kd=dict(type='KDLoss', temperature=4.0)),
    data_preprocessor=dict(mean=[127.5] * 3, std=[64.0] * 3))
pipeline = [dict(type='mmpretrain.LoadImageFromFile'),
            dict(type='mmpretrain.PackInputs')]
dataset = dict(type='mmpretrain.CustomDataset', data_root='{data}',
               data_prefix='train', pipeline=pipeline)
train_dataloader = dict(batch_size=8, num_workers=0, dataset=dataset,
                        sampler=dict(type='DefaultSampler', shuffle=True))
test_dataloader = dict(batch_size=16, num_workers=0, dataset=dataset,
                       sampler=dict(type='DefaultSampler', shuffle=False))
test_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_cfg = dict()
optim_wrapper = dict(
    constructor='DistillOptimWrapperConstructor',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9))
param_scheduler = [dict(type='MultiStepLR', milestones=[1], by_epoch=True)]
train_cfg = dict(by_epoch=True, max_epochs=2)
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=1, max_keep_ckpts=3, save_best=None))
randomness = dict(seed=0)
"""


def classifier(arch):
    return eval(CLASSIFIER.format(arch=arch))


def write_images(root, per_class=4, size=16):
    """``root/train/class<c>/<i>.png``: class c has its own mean colour."""
    from PIL import Image
    rng = np.random.default_rng(0)
    for c in range(NUM_CLASSES):
        folder = osp.join(root, 'train', f'class{c}')
        os.makedirs(folder, exist_ok=True)
        for i in range(per_class):
            base = np.array([60 * c, 255 - 60 * c, 120], np.float64)
            img = base + rng.normal(0, 20, (size, size, 3))
            Image.fromarray(img.clip(0, 255).astype(np.uint8)).save(
                osp.join(folder, f'{i}.png'))


def save_teacher(path, seed=0):
    """A resnet14 teacher's checkpoint (mmengine layout) and its weights."""
    from mmlogitkd.distillers import build_host_model
    torch.manual_seed(seed)
    teacher = build_host_model(classifier('resnet14'), 'teacher')
    torch.save(dict(state_dict=teacher.state_dict(), meta=dict()), path)
    return str(path)


def tiny_setup(root):
    """Images, two teachers (``teacher_ckpt`` and a different one) and a
    distillation config for tools/train.py and tools/test.py."""
    from mmlogitkd.apis import register_all_modules
    register_all_modules()
    root = str(root)
    data = osp.join(root, 'data')
    write_images(data)
    teacher_ckpt = save_teacher(osp.join(root, 'teacher.pth'), seed=0)
    other_teacher = save_teacher(osp.join(root, 'other_teacher.pth'), seed=1)
    config = osp.join(root, 'distill.py')
    with open(config, 'w') as f:
        f.write(
            CONFIG.format(
                root=ROOT,
                student=CLASSIFIER.format(arch='resnet8'),
                teacher=CLASSIFIER.format(arch='resnet14'),
                teacher_ckpt=teacher_ckpt,
                data=data))
    return dict(root=root, config=config, data=data,
                teacher_ckpt=teacher_ckpt, other_teacher=other_teacher)


def build_distiller(**kwargs):
    """The config's distiller, built in-process."""
    from mmlogitkd.distillers import ClsLogitDistiller
    cfg = dict(
        student=classifier('resnet8'),
        teacher=classifier('resnet14'),
        distill_losses=dict(kd=dict(type='KDLoss', temperature=4.0)),
        data_preprocessor=dict(mean=[127.5] * 3, std=[64.0] * 3))
    cfg.update(kwargs)
    return ClsLogitDistiller(**cfg)


def load_tool(relpath):
    """A script of tools/ as a module (its ``main(argv)`` runs in-process:
    refusals happen before anything heavy is built)."""
    import importlib.util
    name = 'mmlogitkd_tool_' + relpath.replace('/', '_')[:-3]
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, osp.join(ROOT, 'tools', relpath))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def run_script(relpath, *args, pythonpath=(), timeout=300):
    """Run a script of tools/ in a subprocess from the repository root."""
    import subprocess
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [*pythonpath, ROOT, env.get('PYTHONPATH', '')])
    return subprocess.run([sys.executable, osp.join('tools', relpath)] +
                          [str(a) for a in args],
                          capture_output=True, text=True, env=env,
                          timeout=timeout, cwd=ROOT)


# the `open` payload's file is the unpickled object itself, left to the
# garbage collector as an attacker would leave it
@pytest.mark.filterwarnings('ignore::ResourceWarning')
@pytest.mark.parametrize('payload', sorted(PAYLOADS))
def test_payloads_do_act_when_unpickled_plainly(tmp_path, payload):
    """The payloads are real: plain unpickling creates the marker."""
    marker = tmp_path / 'marker'
    path = save_with(tmp_path / 'evil.pth', {'w': torch.zeros(1)},
                     PAYLOADS[payload](marker))
    torch.load(path, weights_only=False)
    assert marker.exists()
    marker.unlink()
    d2 = save_detectron2(tmp_path / 'evil.pkl',
                         {'w': np.zeros(1, np.float32)},
                         PAYLOADS[payload](marker))
    with open(d2, 'rb') as f:
        pickle.load(f)
    assert marker.exists()
