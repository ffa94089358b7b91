# Copyright (c) mmlogitkd contributors. All rights reserved.
import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper

from mmlogitkd.losses import KDLoss, ScaleDecoupledLoss
from mmlogitkd.registry import MODELS
from .conftest import classifier_cfg, make_batch

DATA_PREPROCESSOR = dict(mean=[120.] * 3, std=[60.] * 3)


def build(teacher_ckpt, losses=None, **kwargs):
    cfg = dict(
        type='ClsLogitDistiller',
        student=classifier_cfg('resnet8'),
        teacher=classifier_cfg('resnet14'),
        teacher_ckpt=teacher_ckpt,
        distill_losses=losses or dict(kd=dict(type='KDLoss', loss_weight=2.)),
        data_preprocessor=DATA_PREPROCESSOR)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def preprocessed(model, batch):
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    return data['inputs'], data['data_samples']


@pytest.fixture(autouse=True)
def fresh_message_hub():
    hub = MessageHub.get_current_instance()
    hub.runtime_info.pop('epoch', None)
    hub.runtime_info.pop('iter', None)
    yield


def test_teacher_loaded_frozen_and_kept_in_eval(teacher_ckpt):
    model = build(teacher_ckpt)
    saved = torch.load(teacher_ckpt, weights_only=True)['state_dict']
    for k, v in model.teacher.state_dict().items():
        torch.testing.assert_close(v, saved[k], msg=k)
    model.init_weights()  # what the Runner does before training
    for k, v in model.teacher.state_dict().items():
        torch.testing.assert_close(v, saved[k], msg=f'init_weights: {k}')
    model.train()
    assert model.student.training
    assert not any(m.training for m in model.teacher.modules())
    assert not any(p.requires_grad for p in model.teacher.parameters())


def test_distill_loss_equals_independent_computation(teacher_ckpt):
    model = build(teacher_ckpt).train()
    batch, labels = make_batch()
    inputs, samples = preprocessed(model, batch)
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss', 'loss_distill_kd'}

    s = model.student(inputs, mode='tensor')
    with torch.no_grad():
        t = model.teacher(inputs, mode='tensor')
    # KD by hand: T^2 * batchmean KL(p_t || p_s) at T=4, weight 2
    p_t = F.softmax(t / 4, 1)
    kd = (p_t * (p_t.log() - F.log_softmax(s / 4, 1))).sum(1).mean() * 16
    torch.testing.assert_close(losses['loss_distill_kd'], 2 * kd)
    torch.testing.assert_close(losses['loss'], F.cross_entropy(s, labels))


def test_only_student_gets_gradients_and_optimizer(teacher_ckpt):
    model = build(teacher_ckpt)
    optim = build_optim_wrapper(
        model,
        dict(
            constructor='DistillOptimWrapperConstructor',
            optimizer=dict(type='SGD', lr=0.1, momentum=0.9,
                           weight_decay=5e-4)))
    in_optimizer = {
        id(p)
        for group in optim.optimizer.param_groups for p in group['params']
    }
    assert in_optimizer == {id(p) for p in model.student.parameters()}

    teacher_before = copy.deepcopy(model.teacher.state_dict())
    student_before = copy.deepcopy(model.student.state_dict())
    model.train()
    for seed in range(3):
        batch, _ = make_batch(seed=seed)
        model.train_step(batch, optim)
    for k, v in model.teacher.state_dict().items():
        torch.testing.assert_close(v, teacher_before[k], msg=k)
    assert all(p.grad is None for p in model.teacher.parameters())
    changed = [
        k for k, v in model.student.state_dict().items()
        if not torch.equal(v, student_before[k])
    ]
    assert any('backbone' in k for k in changed)


def test_missing_or_mismatched_teacher_checkpoint(tmp_path, teacher_ckpt):
    with pytest.raises(FileNotFoundError, match='nowhere/teacher.pth'):
        build(str(tmp_path / 'nowhere/teacher.pth'))
    # a checkpoint of another architecture: keys and shapes are named
    state = torch.load(teacher_ckpt, weights_only=True)['state_dict']
    state.pop('head.fc.bias')
    state['head.fc.weight'] = torch.zeros(3, 3)
    state['extra.weight'] = torch.zeros(1)
    bad = tmp_path / 'bad.pth'
    torch.save(dict(state_dict=state), bad)
    with pytest.raises(ValueError) as info:
        build(str(bad))
    msg = str(info.value)
    for needle in (str(bad), 'head.fc.bias', 'extra.weight',
                   'shape mismatch (1): head.fc.weight'):
        assert needle in msg


def test_linear_warmup_by_epoch(teacher_ckpt):
    model = build(teacher_ckpt, distill_warmup=dict(length=4, by_epoch=True))
    batch, _ = make_batch()
    inputs, samples = preprocessed(model, batch)
    model.eval()  # deterministic BN, so only the factor changes
    full = model.loss(inputs, samples)['loss_distill_kd']
    hub = MessageHub.get_current_instance()
    for epoch, factor in ((0, 0.25), (1, 0.5), (3, 1.0), (10, 1.0)):
        hub.update_info('epoch', epoch)
        value = model.loss(inputs, samples)['loss_distill_kd']
        torch.testing.assert_close(value, full * factor)


def test_sdd_cells_from_last_map_through_head(teacher_ckpt):
    losses = dict(
        sdd=dict(
            type='ScaleDecoupledLoss',
            loss=dict(type='KDLoss', temperature=4.0),
            complementary_weight=2.0))
    model = build(teacher_ckpt, losses=losses, sdd_scales=(1, 2)).eval()
    batch, labels = make_batch()
    inputs, samples = preprocessed(model, batch)
    value = model.loss(inputs, samples)['loss_distill_sdd']

    def cells(m):
        fmap = m.backbone(inputs)[-1]
        pooled = [fmap.mean((2, 3), keepdim=True),
                  F.adaptive_avg_pool2d(fmap, 2)]
        flat = torch.cat([p.flatten(2) for p in pooled], 2)  # [N, c, K]
        return m.head.fc(flat.transpose(1, 2)).transpose(1, 2)

    expected = ScaleDecoupledLoss(
        loss=dict(type='KDLoss', temperature=4.0))(
            cells(model.student), cells(model.teacher).detach(), labels)
    torch.testing.assert_close(value, expected)


def test_sdd_rejects_models_without_linear_head(teacher_ckpt):
    teacher = classifier_cfg('resnet14')
    losses = dict(sdd=dict(type='ScaleDecoupledLoss', loss=dict(
        type='KDLoss')))
    student = classifier_cfg('resnet8')
    student['head'] = dict(
        type='StackedLinearClsHead',
        num_classes=10,
        in_channels=64,
        mid_channels=[32])
    with pytest.raises(TypeError, match='linear `fc`'):
        MODELS.build(
            dict(
                type='ClsLogitDistiller',
                student=student,
                teacher=teacher,
                distill_losses=losses))


def test_predict_and_tensor_modes_are_the_students(teacher_ckpt):
    model = build(teacher_ckpt).eval()
    batch, _ = make_batch()
    inputs, samples = preprocessed(model, batch)
    preds = model(inputs, copy.deepcopy(samples), mode='predict')
    direct = model.student.predict(inputs, copy.deepcopy(samples))
    for a, b in zip(preds, direct):
        torch.testing.assert_close(a.pred_score, b.pred_score)
    torch.testing.assert_close(
        model(inputs, mode='tensor'), model.student(inputs, mode='tensor'))
    with pytest.raises(RuntimeError, match='Invalid mode'):
        model(inputs, mode='nonsense')


def test_several_losses_each_logged(teacher_ckpt):
    model = build(
        teacher_ckpt,
        losses=dict(
            kd=dict(type='KDLoss'),
            ldrld=dict(type='LDRLDLoss', alpha=2.0, beta=1.0, k=5),
            rank=dict(type='RankAlignLoss', loss_weight=5.0)))
    batch, _ = make_batch()
    inputs, samples = preprocessed(model, batch)
    losses = model.loss(inputs, samples)
    assert set(losses) == {
        'loss', 'loss_distill_kd', 'loss_distill_ldrld', 'loss_distill_rank'
    }
    assert all(torch.isfinite(v) for v in losses.values())
    assert not isinstance(model.distill_losses['kd'], ScaleDecoupledLoss)
    assert isinstance(model.distill_losses['kd'], KDLoss)
