# Copyright (c) mmlogitkd contributors. All rights reserved.
"""tools/analysis/vis_logit_correlation.py on the digits quick start configs:
the PNG is written, the printed value equals an independent numpy
computation from the two models' logits, a distillation and a plain student
checkpoint give the same value, and a student equal to the teacher gives
exactly 0."""
import importlib.util
import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmengine.config import Config

import mmlogitkd  # noqa: F401  (the torchvision shim)

pytest.importorskip('sklearn')
pytest.importorskip('matplotlib')

from mmlogitkd.apis import register_all_modules  # noqa: E402
from mmlogitkd.datasets import DigitsDataset  # noqa: E402
from mmlogitkd.registry import MODELS  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(ROOT, 'tools', 'analysis', 'vis_logit_correlation.py')
CONFIG = osp.join(ROOT, 'configs', 'quickstart', 'kd.py')
MODELS_DIR = osp.join(ROOT, 'configs', 'quickstart', 'models')

register_all_modules()


def _load_tool():
    spec = importlib.util.spec_from_file_location('vis_logit_corr', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _model(name, seed):
    """A quick start model file built directly (not through the tool)."""
    torch.manual_seed(seed)
    cfg = Config.fromfile(osp.join(MODELS_DIR, f'{name}.py')).model
    model = MODELS.build(cfg.to_dict())
    # untrained models: move the BN statistics off their init so that the
    # eval-mode logits are not trivially similar
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    return model.eval()


@pytest.fixture(scope='module')
def ckpts(tmp_path_factory):
    folder = tmp_path_factory.mktemp('vis_corr')
    teacher, student = _model('teacher', 0), _model('student', 1)
    paths = dict(
        teacher=str(folder / 'teacher.pth'),
        distill=str(folder / 'epoch_1.pth'),
        plain=str(folder / 'student.pth'))
    torch.save({'state_dict': teacher.state_dict(), 'meta': {}},
               paths['teacher'])
    torch.save(
        {
            'state_dict': {
                'student.' + k: v
                for k, v in student.state_dict().items()
            },
            'meta': {}
        }, paths['distill'])
    torch.save({'state_dict': student.state_dict()}, paths['plain'])
    return paths, teacher, student, folder


def _run(tool, capsys, *argv):
    value = tool.main([str(a) for a in argv])
    out = capsys.readouterr().out
    printed = float(re.search(r'correlation difference: (\S+)', out).group(1))
    assert printed == value
    return printed


def _independent(teacher, student):
    """The test split of the quick start (its val_dataloader), normalised by
    hand, both models' logits, and mdistiller's matrix in numpy."""
    data = DigitsDataset(split='test', test_ratio=0.5, seed=0, img_size=16)
    imgs = np.stack([data.get_data_info(i)['img'] for i in range(len(data))])
    labels = np.array(
        [data.get_data_info(i)['gt_label'] for i in range(len(data))])
    x = torch.from_numpy(
        ((imgs.astype(np.float32) - 77.9) / 81.3).transpose(0, 3, 1, 2)
        .copy())
    with torch.no_grad():
        zt = teacher(x, mode='tensor').double().numpy()
        zs = student(x, mode='tensor').double().numpy()
    C = zt.shape[1]
    mt = np.stack([zt[labels == c].mean(0) for c in range(C)])
    ms = np.stack([zs[labels == c].mean(0) for c in range(C)])
    diff = np.abs(mt - ms)
    diff[np.arange(C), np.arange(C)] = 0
    return diff.mean()


def test_value_file_and_checkpoint_kinds(ckpts, capsys, tmp_path):
    paths, teacher, student, _ = ckpts
    tool = _load_tool()
    out = tmp_path / 'corr.png'
    value = _run(tool, capsys, CONFIG, paths['teacher'], paths['distill'],
                 '--split', 'val', '--out', out)
    assert out.is_file() and out.stat().st_size > 0
    with open(out, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    assert np.isfinite(value) and value > 0
    expected = _independent(teacher, student)
    assert value == pytest.approx(expected, rel=1e-5, abs=1e-7)
    # a plain student checkpoint: the same weights, the same number
    out2 = tmp_path / 'plain.png'
    assert _run(tool, capsys, CONFIG, paths['teacher'], paths['plain'],
                '--out', out2) == value
    assert out2.is_file()


def test_student_equal_to_teacher_gives_zero(ckpts, capsys, tmp_path):
    paths = ckpts[0]
    tool = _load_tool()
    out = tmp_path / 'same.png'
    for mode in ('class_mean', 'pearson'):
        value = _run(
            tool, capsys, CONFIG, paths['teacher'], paths['teacher'],
            '--out', out, '--mode', mode, '--cfg-options',
            'model.student.cfg_path=mmlogitkd::quickstart/models/teacher.py')
        assert value == 0.0
    assert out.is_file()


def test_default_output_and_pearson(ckpts, capsys):
    paths, _, _, folder = ckpts
    tool = _load_tool()
    value = _run(tool, capsys, CONFIG, paths['teacher'], paths['distill'],
                 '--mode', 'pearson', '--max-batches', '1')
    assert np.isfinite(value) and 0 < value <= 2
    assert (folder / 'logit_correlation_diff.png').is_file()


def test_matrix_functions():
    tool = _load_tool()
    rng = np.random.default_rng(0)
    z = rng.normal(size=(50, 4))
    y = np.arange(50) % 4
    assert tool.correlation_difference(z, z, y).max() == 0.0
    m = tool.class_mean_matrix(z, y, 4)
    np.testing.assert_allclose(m[2], z[y == 2].mean(0))
    np.testing.assert_allclose(tool.pearson_matrix(z) + np.eye(4) * 0,
                               np.corrcoef(z, rowvar=False), atol=1e-12)
    with pytest.raises(ValueError, match='mode'):
        tool.correlation_difference(z, z, y, mode='cosine')
    with pytest.raises(ValueError, match='shape'):
        tool.correlation_difference(z, z[:, :3], y)


def test_refuses_a_plain_model_config(ckpts):
    tool = _load_tool()
    paths = ckpts[0]
    with pytest.raises(ValueError, match='not a distillation config'):
        tool.main([
            osp.join(ROOT, 'configs', 'quickstart', 'teacher.py'),
            paths['teacher'], paths['teacher']
        ])
