# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Bad model configs fail when the model is built, naming the key, the type
or the shape: unknown types with the closest registered names, teacher and
student of different classes, a top-k beyond the classes, a label-mixing
batch augment with a loss that needs hard targets."""
import pytest
from mmengine.config import Config

from mmlogitkd.apis import check_registered_types
from mmlogitkd.utils import UnknownTypeError
from .conftest import build_distiller, classifier_cfg, make_batch, train

DKD = dict(type='DKDLoss', alpha=1.0, beta=8.0)
MIXUP = dict(augments=dict(type='Mixup', alpha=1.0))


def test_unknown_types_name_the_closest_registered_ones():
    # a loss of ours
    with pytest.raises(UnknownTypeError) as err:
        build_distiller(dict(kd=dict(type='KDLos')))
    assert 'model.distill_losses.kd' in str(err.value)
    assert '"KDLoss"' in str(err.value)
    assert isinstance(err.value, KeyError)  # as mmengine's own
    # a backbone inside the student, in the mmpretrain scope
    student = classifier_cfg()
    student['backbone']['type'] = 'mmlogitkd.CifarResNt'
    with pytest.raises(UnknownTypeError, match='model.student.*'
                       '"mmlogitkd.CifarResNet"'):
        build_distiller(student=student)
    # our backbone without its scope prefix
    student['backbone']['type'] = 'CifarResNet'
    with pytest.raises(UnknownTypeError, match='"mmlogitkd.CifarResNet"'):
        build_distiller(student=student)
    # the distiller itself, and a dataset, before anything is built
    cfg = Config(
        dict(
            default_scope='mmlogitkd',
            model=dict(type='ClsLogitDistiler'),
            train_dataloader=dict(dataset=dict(type='DigitDataset'))))
    with pytest.raises(UnknownTypeError, match='model.type.*'
                       '"ClsLogitDistiller"'):
        check_registered_types(cfg)
    cfg.model.type = 'ClsLogitDistiller'
    with pytest.raises(UnknownTypeError,
                       match='train_dataloader.dataset.type.*'
                       '"DigitsDataset"'):
        check_registered_types(cfg)


@pytest.mark.e2e
def test_tools_train_names_an_unknown_distiller(quickstart, tmp_path):
    result = train(quickstart, tmp_path / 'w', '--cfg-options',
                   'model.type=ClsLogitDistillr', timeout=120)
    assert result.returncode != 0
    assert 'UnknownTypeError: model.type: type "ClsLogitDistillr"' in \
        result.stderr
    assert 'Did you mean "ClsLogitDistiller"' in result.stderr


def test_teacher_and_student_classes_must_match():
    with pytest.raises(ValueError, match='num_classes=10.*num_classes=7'):
        build_distiller(teacher=classifier_cfg('resnet14', num_classes=7))


@pytest.mark.parametrize('wrapped', [False, True])
def test_ldrld_k_within_the_classes(wrapped):
    ldrld = dict(type='LDRLDLoss', k=11)
    loss = dict(type='ScaleDecoupledLoss', loss=ldrld) if wrapped else ldrld
    with pytest.raises(ValueError, match=r'distill_losses\.ld: LDRLDLoss '
                       r'k=11 is larger than the 10 classes'):
        build_distiller(dict(ld=loss))
    ldrld['k'] = 10
    build_distiller(dict(ld=loss))


def test_detector_k_counts_the_background():
    """Detection logits are num_classes + 1 wide (background)."""
    import torch.nn as nn

    from mmlogitkd.distillers import logit_width

    class BoxHead(nn.Module):
        num_classes = 10

        def __init__(self):
            super().__init__()
            self.fc_cls = nn.Linear(4, 11)

    detector = nn.Module()
    detector.roi_head = nn.Module()
    detector.roi_head.bbox_head = BoxHead()
    assert logit_width(detector) == 11
    assert logit_width(nn.Module()) is None


@pytest.mark.parametrize('loss', [
    DKD,
    dict(type='NKDLoss'),
    dict(type='ScaleDecoupledLoss', loss=dict(type='KDLoss')),
])
def test_mixup_with_a_hard_target_loss_is_refused(loss):
    student = classifier_cfg(num_classes=10, batch_augments=MIXUP)
    with pytest.raises(ValueError) as err:
        build_distiller(dict(hard=loss), student=student)
    msg = str(err.value)
    assert 'Mixup' in msg and 'hard (' in msg and 'KDLoss' in msg


def test_mixup_gives_target_free_losses_no_stale_labels():
    """mmpretrain's Mixup keeps the pre-mix gt_label beside the mixed
    gt_score: the distiller must not pass it on as the target."""
    from mmpretrain.models.utils import RandomBatchAugment
    from mmpretrain.models.utils.batch_augments import Mixup
    seen = []
    model = build_distiller()
    kd = model.distill_losses['kd']
    forward = kd.forward
    kd.forward = lambda s, t, target=None, **kw: (seen.append(target),
                                                  forward(s, t, target,
                                                          **kw))[1]
    data = model.data_preprocessor(make_batch(), True)
    model.loss(**data)
    assert seen[-1] is not None  # plain batches keep their labels
    # what ClsDataPreprocessor(batch_augments=...) sets up
    preprocessor = model.student.data_preprocessor
    preprocessor.batch_augments = RandomBatchAugment(Mixup(alpha=1.0))
    preprocessor.to_onehot, preprocessor.num_classes = True, 10
    data = model.data_preprocessor(make_batch(), True)
    sample = data['data_samples'][0]
    assert 'gt_score' in sample and 'gt_label' in sample  # mixed + pre-mix
    model.loss(**data)
    assert seen[-1] is None
