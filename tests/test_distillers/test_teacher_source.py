# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The distiller asks its teacher source for the teacher's logits and each
loss for what it needs (its declarations), never which class it is."""
import pytest
import torch
import torch.nn as nn

from mmlogitkd.distillers import (
    OnlineTeacher,
    build_host_model,
    load_state_dict_strictly,
)
from mmlogitkd.registry import MODELS
from .conftest import NUM_CLASSES, classifier_cfg, make_batch


class DeclaredLoss(nn.Module):
    """Not a registered loss class: only its declarations say that it takes
    views and which class counts it accepts."""
    uses_views = True
    requires_target = True

    def __init__(self, max_classes=NUM_CLASSES):
        super().__init__()
        self.max_classes = max_classes
        self.seen = None

    def check_num_classes(self, num_classes):
        if num_classes > self.max_classes:
            raise ValueError(f'{num_classes} classes are too many')

    def forward(self, student, teacher, target=None, **kwargs):
        self.seen = (student.shape, teacher.shape, target)
        return student.sum() * 0


def _build(loss, teacher_ckpt=None):
    return MODELS.build(
        dict(
            type='ClsLogitDistiller',
            student=classifier_cfg('resnet8'),
            teacher=classifier_cfg('resnet14'),
            teacher_ckpt=teacher_ckpt,
            distill_losses=dict(mine=loss),
            sdd_scales=(1, 2),
            data_preprocessor=dict(mean=[120.] * 3, std=[60.] * 3)))


def test_a_loss_is_routed_by_what_it_declares():
    loss = DeclaredLoss()
    model = _build(loss)
    assert model.uses_views
    batch, labels = make_batch(n=4)
    data = model.data_preprocessor(batch, True)
    model.loss(**data)
    student, teacher, target = loss.seen
    assert student == teacher == (4, NUM_CLASSES, 5)  # K = 1 + 2 * 2
    assert torch.equal(target, labels)


def test_a_loss_checks_the_class_count_named_by_its_config_key():
    with pytest.raises(ValueError,
                       match=r'^model\.distill_losses\.mine: 10 classes '
                       'are too many$'):
        _build(DeclaredLoss(max_classes=9))


def test_online_teacher_runs_frozen_under_no_grad(teacher_ckpt):
    model = _build(dict(type='KDLoss'), teacher_ckpt)
    source = model.teacher_source
    assert isinstance(source, OnlineTeacher)
    assert source.require_model('test') is model.teacher
    grad_enabled = []

    def forward(teacher, inputs):
        grad_enabled.append(torch.is_grad_enabled())
        return teacher(inputs, mode='tensor'), None

    model.train()
    assert not any(m.training for m in model.teacher.modules())
    logits, views = source.logits(forward, torch.randn(2, 3, 16, 16), [])
    assert grad_enabled == [False] and views is None
    assert logits.shape == (2, NUM_CLASSES) and not logits.requires_grad
    assert source.sha256() == model.teacher_sha256()


def test_strict_loading_names_the_keys_and_spares_a_meta_model():
    torch.manual_seed(0)
    model = build_host_model(classifier_cfg('resnet8'), 'student')
    weights = {k: torch.randn_like(v) if v.is_floating_point() else v
               for k, v in model.state_dict().items()}
    with torch.device('meta'):
        shell = build_host_model(classifier_cfg('resnet8'), 'student')
    load_state_dict_strictly(shell, weights, 'weights', 'the shell')
    assert all(v.is_meta for v in shell.state_dict().values())
    load_state_dict_strictly(model, weights, 'weights', 'the student')
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, weights[k])
    del weights['head.fc.bias']
    weights['head.fc.weight'] = torch.zeros(3, 3)
    with pytest.raises(ValueError) as err:
        load_state_dict_strictly(shell, weights, 'weights', 'the shell')
    message = str(err.value)
    assert message.startswith('weights does not match the shell:')
    assert 'missing keys (1): head.fc.bias' in message
    assert 'shape mismatch (1): head.fc.weight' in message
