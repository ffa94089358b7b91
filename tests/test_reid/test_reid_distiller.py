# Copyright (c) mmlogitkd contributors. All rights reserved.
"""ReIDLogitDistiller: the same crops through both models, the teacher
frozen, torchreid checkpoints as teacher weights."""
import pytest
import torch
from mmpretrain.structures import DataSample

from mmlogitkd.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS
from .conftest import perturb_, torchreid_checkpoint

C = 6
KD = dict(kd=dict(type='KDLoss', temperature=4.0))
SDD = dict(
    sdd=dict(
        type='ScaleDecoupledLoss',
        loss=dict(type='KDLoss', temperature=4.0),
        complementary_weight=2.0))


def reid_model(name='resnet18', num_classes=C):
    return dict(type='TorchreidClassifier', name=name,
                num_classes=num_classes)


@pytest.fixture(scope='module')
def teacher_ckpt(tmp_path_factory):
    """A torchreid ResNet-18 saved by torchreid's save_checkpoint, keys
    ``module.``-prefixed as from nn.DataParallel."""
    from torchreid.reid.models import build_model
    torch.manual_seed(1)
    net = perturb_(build_model('resnet18', C, pretrained=False,
                               use_gpu=False), seed=1)
    return torchreid_checkpoint(
        net, str(tmp_path_factory.mktemp('teacher')), data_parallel=True)


def build(teacher_ckpt, losses=KD, **kwargs):
    torch.manual_seed(0)
    cfg = dict(
        type='ReIDLogitDistiller',
        student=reid_model(),
        teacher=reid_model(),
        teacher_ckpt=teacher_ckpt,
        distill_losses=losses,
        data_preprocessor=dict(
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            to_rgb=True))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def batch(n=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    imgs = torch.randint(0, 256, (n, 3, 64, 32), generator=g,
                         dtype=torch.uint8)
    labels = torch.randint(0, C, (n, ), generator=g)
    samples = [
        DataSample(metainfo=dict(pid=int(y), camid=0,
                                 is_query=False)).set_gt_label(int(y))
        for y in labels
    ]
    return dict(inputs=list(imgs), data_samples=samples)


def test_teacher_loads_a_torchreid_checkpoint_strictly(teacher_ckpt):
    model = build(teacher_ckpt)
    saved = torch.load(teacher_ckpt, weights_only=True)['state_dict']
    for k, v in model.teacher.state_dict().items():
        assert torch.equal(v, saved[f'module.{k}']), k
    assert not model.teacher.training
    assert not any(p.requires_grad for p in model.teacher.parameters())


def test_paired_logits_are_the_models_own(teacher_ckpt):
    model = build(teacher_ckpt).train()
    data = model.data_preprocessor(batch(), training=True)
    assert 'teacher_inputs' not in data  # same normalisation: shared
    losses, paired = model.paired_logits(data['inputs'],
                                         data['data_samples'], data['inputs'])
    assert paired.student.shape == paired.teacher.shape == (6, C)
    assert not paired.teacher.requires_grad and paired.student.requires_grad
    with torch.no_grad():
        direct = model.teacher(data['inputs'], mode='tensor')
    torch.testing.assert_close(paired.teacher, direct)
    assert paired.target.tolist() == [
        int(s.gt_label) for s in data['data_samples']
    ]
    assert paired.student_views is None
    loss = model(**data, mode='loss')
    assert set(loss) == {'loss', 'loss_distill_kd'}
    torch.testing.assert_close(
        losses['loss'],
        model.student.identity_loss(paired.student, paired.target)['loss'])


def test_sdd_cells_view_zero_is_the_global_logits(teacher_ckpt):
    model = build(teacher_ckpt, losses=SDD, sdd_scales=(1, 2)).train()
    data = model.data_preprocessor(batch(), training=True)
    _, paired = model.paired_logits(data['inputs'], data['data_samples'],
                                    data['inputs'])
    # 64x32 crops: a 2x1 map, so 2x2 adaptive cells (overlapping columns)
    assert paired.student_views.shape == paired.teacher_views.shape == (6, C,
                                                                       5)
    # the same numbers up to the order of the classifier's sums
    tol = dict(rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(paired.student_views[..., 0], paired.student,
                               **tol)
    torch.testing.assert_close(paired.teacher_views[..., 0], paired.teacher,
                               **tol)
    assert 'loss_distill_sdd' in model(**data, mode='loss')


def test_teacher_frozen_through_training(teacher_ckpt):
    model = build(teacher_ckpt, losses=SDD, sdd_scales=(1, 2))
    model.init_weights()
    teacher_before = {
        k: v.clone()
        for k, v in model.teacher.state_dict().items()
    }
    student_before = {
        k: v.clone()
        for k, v in model.student.state_dict().items()
    }
    optim = OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(
            type='DistillOptimWrapperConstructor',
            optim_wrapper_cfg=dict(
                type='OptimWrapper',
                optimizer=dict(type='Adam', lr=1e-3, weight_decay=5e-4))))(
                    model)
    model.train()
    for step in range(3):
        log = model.train_step(batch(seed=step), optim)
        assert torch.isfinite(log['loss'])
    assert not model.teacher.training and model.student.training
    for k, v in model.teacher.state_dict().items():
        assert torch.equal(v, teacher_before[k]), k
    assert any(not torch.equal(v, student_before[k])
               for k, v in model.student.state_dict().items())
    # predict mode is the student's: embeddings for ReIDMetric
    model.eval()
    out = model.val_step(batch(n=2))
    assert out[0].pred_feature.shape == (512, )


def test_build_errors(teacher_ckpt):
    with pytest.raises(ValueError, match='identities'):
        build(None, student=reid_model(num_classes=C + 1))
    with pytest.raises(TypeError, match='TorchreidClassifier'):
        build(
            None,
            student=dict(
                type='mmpretrain.ImageClassifier',
                backbone=dict(type='mmlogitkd.CifarResNet', arch='resnet8'),
                neck=dict(type='GlobalAveragePooling'),
                head=dict(type='LinearClsHead', num_classes=C,
                          in_channels=64)))
    # a teacher checkpoint of another identity count fails naming the keys
    with pytest.raises(ValueError, match='classifier.weight'):
        build(teacher_ckpt, teacher=reid_model(num_classes=C + 1),
              student=reid_model(num_classes=C + 1))
