# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The detection quick start in the papers' regime (issue #20, section 2):
backbones pretrained on the training digits and loaded through the
detectors' ``init_cfg``, fully connected box heads without batch norm, no
gradient clipping, the COCO configs' loss settings; and the quick start's
pretraining cache (tools/train.py replaced by a stand-in)."""
import copy
import importlib.util
import json
import os
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config

from mmlogitkd.apis import register_all_modules
from mmlogitkd.apis.quickstart import det_stages
from mmlogitkd.apis.quickstart.runs import file_digest
from mmlogitkd.apis.quickstart.teachers import teacher_cache_key
from mmlogitkd.distillers import resolve_host_cfg
from mmlogitkd.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DET = osp.join(ROOT, 'configs', 'quickstart_det')
SCRIPT = osp.join(ROOT, 'tools', 'quickstart.py')
ROLES = ('teacher', 'student')
METHODS = ('kd', 'dkd', 'ldrld', 'sdd')
RUNS = ('teacher', 'student') + METHODS

register_all_modules()


@pytest.fixture
def tool():
    spec = importlib.util.spec_from_file_location('quickstart_det_tool',
                                                  SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _config(name):
    return Config.fromfile(osp.join(DET, name))


def _build(model_cfg, scope):
    with MODELS.switch_scope_and_registry(scope) as registry:
        return registry.build(copy.deepcopy(model_cfg))


def _detector_cfg(role):
    """The detector of ``models/<role>.py``, as a run builds it."""
    return _config(f'{role}.py').model


def _classifier(role):
    return _build(_config(f'pretrain/{role}_backbone.py').model, 'mmlogitkd')


# ------------------------------------------------------ pretrained backbones
@pytest.mark.parametrize('role', ROLES)
def test_pretraining_checkpoint_loads_strictly_through_init_cfg(
        role, tmp_path):
    """A plain mmpretrain checkpoint of the pretraining classifier: its
    ``backbone.*`` are exactly the detector backbone's parameters and
    buffers, and the detector's ``init_cfg`` (mmdet's ``Pretrained`` with
    ``prefix='backbone.'``) loads every one of them."""
    classifier = _classifier(role)
    with torch.no_grad():  # distinct values, so that a copy shows
        for i, tensor in enumerate(classifier.state_dict().values()):
            if tensor.is_floating_point():
                tensor.copy_(torch.randn_like(tensor) + i)
    state_dict = classifier.state_dict()
    ckpt = str(tmp_path / f'{role}_backbone-0123abcd.pth')
    torch.save(dict(state_dict=state_dict, meta=dict()), ckpt)
    backbone = {
        k[len('backbone.'):]: v
        for k, v in state_dict.items() if k.startswith('backbone.')
    }

    cfg = _detector_cfg(role)
    init_cfg = cfg.backbone.init_cfg
    assert init_cfg.type == 'Pretrained'
    assert init_cfg.prefix == 'backbone.'
    cfg.backbone.init_cfg.checkpoint = ckpt
    detector = _build(cfg, 'mmdet')
    # strict: the same names and shapes, nothing missing, nothing extra
    target = detector.backbone.state_dict()
    assert set(backbone) == set(target)
    assert all(backbone[k].shape == target[k].shape for k in target)
    detector.backbone.load_state_dict(backbone, strict=True)

    detector = _build(cfg, 'mmdet')
    detector.init_weights()
    for name, tensor in detector.backbone.state_dict().items():
        assert torch.equal(tensor, backbone[name]), name


def test_distilled_student_loads_its_backbone_through_init_cfg(
        tool, tmp_path):
    """A distilled student gets the student's backbone from the option
    the quick start passes (``model.student.backbone.init_cfg``); the
    teacher keeps ``teacher_ckpt``'s weights (not re-initialised)."""
    classifier = _classifier('student')
    ckpt = str(tmp_path / 'student_backbone-0123abcd.pth')
    torch.save(dict(state_dict=classifier.state_dict()), ckpt)
    args = tool.parse_args(['--task', 'det', '--work-dir', str(tmp_path)])
    args.det_backbones = dict(teacher='unused.pth', student=ckpt)
    cfg = _config('kd.py')
    cfg.merge_from_dict(
        dict(o.split('=', 1) for o in det_stages.det_run_options(args, 'kd')))
    cfg.model.teacher_ckpt = None
    model = _build(cfg.model, 'mmlogitkd')
    model.init_weights()
    for name, tensor in model.student.backbone.state_dict().items():
        assert torch.equal(tensor,
                           classifier.state_dict()['backbone.' + name]), name


@pytest.mark.parametrize('role', ROLES)
def test_pretraining_uses_the_canvases_training_digits(role):
    """The classifier learns the train split of the digits that the
    training canvases are made of (digits_coco's stratified 50/50 split,
    seed 0), with the detector's normalisation and seed 0."""
    cfg = _config(f'pretrain/{role}_backbone.py')
    train = cfg.train_dataloader.dataset
    assert (train.type, train.split, train.test_ratio, train.seed) == (
        'DigitsDataset', 'train', 0.5, 0)
    assert train.get('train_per_class') is None  # every training digit
    assert cfg.randomness.seed == 0
    detector = _detector_cfg(role).data_preprocessor
    classifier = cfg.model.data_preprocessor
    assert classifier.mean == detector.mean
    assert classifier.std == detector.std
    assert classifier.to_rgb == detector.bgr_to_rgb


# ------------------------------------------------------ the official parts
@pytest.mark.parametrize('role', ROLES)
def test_box_heads_are_fully_connected_without_batch_norm(role):
    cfg = _detector_cfg(role)
    head = cfg.roi_head.bbox_head
    assert head.type == 'Shared2FCBBoxHead'
    assert head.get('norm_cfg') is None
    assert cfg.neck.get('norm_cfg') is None
    detector = _build(cfg, 'mmdet')
    for part in (detector.neck, detector.rpn_head, detector.roi_head):
        norms = [
            n for n, m in part.named_modules()
            if isinstance(m, nn.modules.batchnorm._NormBase)
        ]
        assert not norms, norms
    # batch norm only in the backbone, where it adapts to the canvases
    assert cfg.backbone.frozen_stages == -1 and not cfg.backbone.norm_eval


@pytest.mark.parametrize('run', RUNS)
def test_no_gradient_clipping(run):
    cfg = _config(f'{run}.py')
    assert cfg.optim_wrapper.get('clip_grad') is None


def test_distilled_students_are_the_student_alone():
    """Every distillation run's student and teacher are the runs alone's
    models, with the same recipe."""
    student = _config('student.py')
    teacher = _config('teacher.py')
    for method in METHODS:
        cfg = _config(f'{method}.py')
        for role, alone in (('student', student), ('teacher', teacher)):
            resolved = resolve_host_cfg(cfg.model[role], role)
            resolved.pop('_scope_', None)
            model = copy.deepcopy(alone.model.to_dict())
            model.pop('_scope_', None)
            assert resolved.to_dict() == model, (method, role)
        for key in ('optim_wrapper', 'param_scheduler', 'train_cfg',
                    'train_dataloader'):
            ours = copy.deepcopy(cfg[key])
            if key == 'optim_wrapper':
                ours.pop('constructor')
            assert ours == student[key], (method, key)


@pytest.mark.parametrize('method', METHODS)
def test_loss_settings_are_the_coco_configs(method):
    ours = _config(f'{method}.py').model.distill_losses
    coco = Config.fromfile(
        osp.join(ROOT, 'configs', method,
                 'frcnn_r101_r18_coco.py')).model.distill_losses

    def weighted(losses):  # loss_weight 1 is the default
        out = copy.deepcopy(losses.to_dict())
        for loss in out.values():
            loss.setdefault('loss_weight', 1.0)
        return out

    assert weighted(ours) == weighted(coco)


# ---------------------------------------------------- the quick start's cache
class FakePretrain:
    """Stands in for ``train`` on a pretraining config: writes the last
    checkpoint as tools/train.py does and returns a top-1."""

    def __init__(self):
        self.calls = []

    def __call__(self, name, config, work_dir, options, args, max_epochs,
                 metric=None):
        assert metric == ('accuracy/top1', 1.)
        self.calls.append(osp.basename(config))
        os.makedirs(work_dir, exist_ok=True)
        ckpt = osp.join(work_dir, f'epoch_{max_epochs}.pth')
        weight = float(len(self.calls))
        torch.save(
            dict(state_dict={'backbone.w': torch.full((2, ), weight)}), ckpt)
        with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
            f.write(ckpt)
        return 90. + weight, None


def test_backbones_are_pretrained_once_and_named_by_content(
        tool, tmp_path, monkeypatch):
    args = tool.parse_args(['--task', 'det', '--work-dir', str(tmp_path)])
    fake = FakePretrain()
    monkeypatch.setattr(det_stages, 'train', fake)
    det_stages.det_pretrain(args)
    assert fake.calls == ['teacher_backbone.py', 'student_backbone.py']
    pretrain = osp.join(str(tmp_path), 'pretrain')
    for role in ROLES:
        path = args.det_backbones[role]
        digest = file_digest(path)
        assert osp.basename(path) == f'{role}_backbone-{digest[:8]}.pth'
        # the model files' default path links to it
        assert osp.samefile(
            osp.join(pretrain, f'{role}_backbone.pth'), path)
        ckpt = torch.load(path, weights_only=True)
        assert list(ckpt['state_dict']) == ['backbone.w']
    first = dict(args.det_backbones)
    teacher_key = teacher_cache_key(args)

    # cached: nothing trained again, the same files
    det_stages.det_pretrain(args)
    assert len(fake.calls) == 2
    assert args.det_backbones == first
    assert teacher_cache_key(args) == teacher_key

    # a changed or missing file is made again; the runs' keys follow it
    os.remove(first['teacher'])
    det_stages.det_pretrain(args)
    assert fake.calls[2:] == ['teacher_backbone.py']
    assert args.det_backbones['teacher'] != first['teacher']
    assert args.det_backbones['student'] == first['student']
    assert teacher_cache_key(args) != teacher_key
    assert sorted(f for f in os.listdir(pretrain) if f.endswith('.pth')) \
        == sorted(['teacher_backbone.pth', 'student_backbone.pth'] + [
            osp.basename(p) for p in args.det_backbones.values()])


def test_run_options_give_each_run_its_backbone(tool, tmp_path):
    args = tool.parse_args(['--task', 'det', '--work-dir', str(tmp_path)])
    assert args.task.run_options(args, 'teacher') == []  # not pretrained
    args.det_backbones = dict(teacher='/t.pth', student='/s.pth')
    run_options = args.task.run_options
    assert run_options(args, 'teacher') == [
        'model.backbone.init_cfg.checkpoint=/t.pth'
    ]
    assert run_options(args, 'student') == [
        'model.backbone.init_cfg.checkpoint=/s.pth'
    ]
    for method in METHODS:
        assert run_options(args, method) == [
            'model.student.backbone.init_cfg.checkpoint=/s.pth'
        ]
    # each option names a key its config has
    for run in RUNS:
        cfg = _config(f'{run}.py')
        [option] = run_options(args, run)
        cfg.merge_from_dict(dict([option.split('=', 1)]))
        model = cfg.model
        if run in METHODS:
            model = resolve_host_cfg(model.student, 'student')
        assert model.backbone.init_cfg.type == 'Pretrained'
        assert model.backbone.init_cfg.checkpoint in ('/t.pth', '/s.pth')
    # the classification task has no such options
    assert tool.parse_args([]).task.run_options(args, 'teacher') == []


def test_report_without_a_student_checkpoint(tool, tmp_path):
    args = tool.parse_args(['--task', 'det', '--work-dir', str(tmp_path)])
    args.stages = dict(data=dict(seconds=9.6, cached=False))
    args.stages['teacher backbone'] = dict(seconds=30., cached=True, top1=94.)
    text = det_stages.det_report(args, [])
    assert 'Before the runs: data 10 s; teacher backbone 30 s (cached; ' \
        'digits test top-1 94.0%).' in text
    assert "Teacher on the student's RoIs (seed 0): not measured" in text


def test_teacher_roi_accuracy_counts(tmp_path):
    """tools/analysis/det_teacher_roi_accuracy.py on two tiny canvases with
    untrained models: counts that add up, shares in [0, 100]."""
    from mmlogitkd.datasets.digits_coco import make_digits_coco
    spec = importlib.util.spec_from_file_location(
        'roi_tool',
        osp.join(ROOT, 'tools', 'analysis', 'det_teacher_roi_accuracy.py'))
    roi_tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(roi_tool)
    data = make_digits_coco(
        str(tmp_path / 'data'), num_train=2, num_val=1, seed=1)
    cfg = _config('kd.py')
    cfg.train_dataloader.dataset.data_root = data['data_root'] + '/'
    cfg.train_dataloader.batch_size = 2
    cfg.model.teacher_ckpt = None
    student = _build(_detector_cfg('student'), 'mmdet')
    ckpt = str(tmp_path / 'student.pth')
    torch.save(dict(state_dict=student.state_dict()), ckpt)
    cfg.model.student_ckpt = ckpt
    result = roi_tool.teacher_roi_accuracy(cfg, images=2)
    assert result['images'] == 2
    # 32 RoIs sampled per image; ground truth added as proposals
    assert result['rois'] == 64
    assert 0 < result['foreground'] <= 16
    # the positives overlapping their digit by IoU >= 0.6: the ground-truth
    # boxes (added as proposals) at least
    assert 0 < result['foreground_iou60'] <= result['foreground']
    for key in ('teacher_fg_right', 'student_fg_right', 'teacher_right',
                'teacher_fg_iou60_right'):
        assert 0. <= result[key] <= 100.
    json.dumps(result)
