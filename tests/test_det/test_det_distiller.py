# Copyright (c) mmlogitkd contributors. All rights reserved.
"""DetLogitDistiller: RoI pairing against direct calls of mmdet's parts,
per-model normalisation, edge cases, and the frozen teacher."""
import copy

import pytest
import torch
from mmengine.optim import build_optim_wrapper

from mmlogitkd.distillers import polyphase_views
from mmlogitkd.losses import DKDLoss
from mmlogitkd.registry import MODELS
from .conftest import NUM_CLASSES, det_batch, small_frcnn

DKD = dict(type='DKDLoss', alpha=1.0, beta=0.25, temperature=1.0)
GL_DKD = dict(
    type='ScaleDecoupledLoss',
    loss=dict(DKD, temperature=2.0),
    complementary_weight=1.0,
    skip_nonfinite_views=True)


def build(losses=None, teacher=None, student=None, teacher_ckpt=None):
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='DetLogitDistiller',
            student=student or small_frcnn(),
            teacher=teacher or small_frcnn(caffe=True),
            teacher_ckpt=teacher_ckpt,
            distill_losses=losses or dict(dkd=DKD)))


class Recorder:
    """Inputs and outputs of a module's forward calls."""

    def __init__(self, module):
        self.calls = []
        module.register_forward_hook(
            lambda m, args, out: self.calls.append((args, out)))


def preprocess(model, batch):
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    return data['inputs'], data['data_samples'], data.get(
        'teacher_inputs', data['inputs'])


def test_rois_paired_through_each_models_own_head():
    model = build().train()
    inputs, samples, t_inputs = preprocess(model, det_batch())
    rois_seen = Recorder(model.student.roi_head.bbox_roi_extractor)
    scores_seen = Recorder(model.student.roi_head.bbox_head)
    losses, paired = model.paired_logits(inputs, samples, t_inputs)

    # the student's logits are the cls_score of its own box head forward
    (_, rois), _ = rois_seen.calls[0]
    assert len(scores_seen.calls) == 1
    assert paired.student is scores_seen.calls[0][1][0]
    R = rois.shape[0]
    assert paired.student.shape == paired.teacher.shape == (R,
                                                            NUM_CLASSES + 1)
    # ... and loss_cls is mmdet's loss of exactly those logits and targets
    head = model.student.roi_head.bbox_head
    assert paired.target.shape == (R, )
    assert (paired.target == NUM_CLASSES).any(), 'background RoIs kept'
    assert (paired.target < NUM_CLASSES).any(), 'foreground RoIs too'
    loss_cls = head.loss_cls(paired.student, paired.target,
                             torch.ones(R), avg_factor=float(R))
    torch.testing.assert_close(losses['loss_cls'], loss_cls)
    assert {'loss_rpn_cls', 'loss_rpn_bbox', 'loss_bbox'} <= set(losses)

    # the teacher's logits: its own extractor and box head on those RoIs
    with torch.no_grad():
        feats = model.teacher.extract_feat(t_inputs)
        t_head = model.teacher.roi_head
        roi_feats = t_head.bbox_roi_extractor(
            feats[:t_head.bbox_roi_extractor.num_inputs], rois)
        expected, _ = t_head.bbox_head(roi_feats)
    torch.testing.assert_close(paired.teacher, expected)
    assert not paired.teacher.requires_grad


def test_teacher_sees_its_own_normalisation():
    model = build()
    assert not model.data_preprocessor.shared
    batch = det_batch()
    inputs, samples, t_inputs = preprocess(model, batch)
    raw = torch.stack(batch['inputs']).float()
    # student: RGB, ImageNet mean / std; teacher: BGR as loaded, std 1
    s_mean = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
    s_std = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)
    t_mean = torch.tensor([103.53, 116.28, 123.675]).view(1, 3, 1, 1)
    torch.testing.assert_close(inputs, (raw.flip(1) - s_mean) / s_std)
    torch.testing.assert_close(t_inputs, raw - t_mean)
    seen = Recorder(model.teacher.backbone)
    model.train().loss(inputs, samples, t_inputs)
    assert torch.equal(seen.calls[0][0][0], t_inputs)
    # the same settings: one shared tensor, no second preprocessing
    same = build(teacher=small_frcnn())
    assert same.data_preprocessor.shared
    assert 'teacher_inputs' not in same.data_preprocessor(
        copy.deepcopy(batch), True)


def test_sdd_views_through_each_models_box_head():
    model = build(losses=dict(sdd=GL_DKD)).train()
    inputs, samples, t_inputs = preprocess(model, det_batch())
    rois_seen = Recorder(model.student.roi_head.bbox_roi_extractor)
    losses, paired = model.paired_logits(inputs, samples, t_inputs)
    (_, rois), _ = rois_seen.calls[0]
    R = rois.shape[0]
    assert paired.student_views.shape == (R, NUM_CLASSES + 1, 5)
    for role, views in (('teacher', paired.teacher_views),
                        ('student', paired.student_views)):
        m = getattr(model, role)
        with torch.no_grad():
            feats = m.extract_feat(t_inputs if role == 'teacher' else inputs)
            ext = m.roi_head.bbox_roi_extractor
            # RoIAlign at 14x14 with the model's own level mapping
            from mmcv.ops import RoIAlign
            layer = ext.roi_layers[0]
            big = copy.deepcopy(ext)
            big.roi_layers = torch.nn.ModuleList([
                RoIAlign((14, 14), 1 / s, layer.sampling_ratio,
                         aligned=layer.aligned) for s in ext.featmap_strides
            ])
            x = big(feats[:ext.num_inputs], rois)
            for v, view in enumerate(polyphase_views(x)):
                expected, _ = m.roi_head.bbox_head(view)
                torch.testing.assert_close(views[..., v], expected,
                                           rtol=1e-4, atol=1e-4)
    value = model.distill_loss_terms(paired)['loss_distill_sdd']
    per_view = [
        DKDLoss(alpha=1.0, beta=0.25, temperature=2.0)(
            paired.student_views[..., v], paired.teacher_views[..., v],
            paired.target) for v in range(5)
    ]
    torch.testing.assert_close(value, torch.stack(per_view).mean())


def test_sdd_views_leave_the_students_bn_statistics_alone():
    student = small_frcnn()
    student['roi_head']['bbox_head'].update(
        type='ConvFCBBoxHead', num_shared_convs=1, num_shared_fcs=1,
        conv_out_channels=32, fc_out_channels=64,
        norm_cfg=dict(type='BN', requires_grad=True))
    model = build(losses=dict(sdd=GL_DKD), student=student).train()
    bn = model.student.roi_head.bbox_head.shared_convs[0].bn
    # copies: ConvModule's ReLU then works in place on the output
    seen = []
    bn.register_forward_hook(
        lambda m, args, out: seen.append((args[0].clone(), out.clone())))
    inputs, samples, t_inputs = preprocess(model, det_batch())
    model.loss(inputs, samples, t_inputs)
    # two calls: the ordinary RoIs, then the 5 views of the same RoIs
    (ordinary, _), (views, view_out) = seen
    assert views.shape[0] == 5 * ordinary.shape[0]
    # the running statistics moved once, by the ordinary RoIs only
    m = bn.momentum
    mean = ordinary.mean((0, 2, 3))
    var = ordinary.var((0, 2, 3), unbiased=True)
    torch.testing.assert_close(bn.running_mean, m * mean)
    torch.testing.assert_close(bn.running_var, (1 - m) + m * var)
    assert bn.num_batches_tracked.item() == 1
    # ... while the views were still normalised by their own batch
    expected = torch.nn.functional.batch_norm(
        views, None, None, bn.weight, bn.bias, training=True, eps=bn.eps)
    torch.testing.assert_close(view_out, expected)
    assert bn.track_running_stats


def test_edge_cases_give_finite_logged_losses():
    model = build(losses=dict(dkd=DKD, sdd=GL_DKD)).train()
    # no ground truth at all: every sampled RoI is background
    inputs, samples, t_inputs = preprocess(
        model, det_batch(with_gt=(False, False)))
    losses, paired = model.paired_logits(inputs, samples, t_inputs)
    assert (paired.target == NUM_CLASSES).all()
    losses.update(model.distill_loss_terms(paired))
    for key in ('loss_cls', 'loss_distill_dkd', 'loss_distill_sdd'):
        assert torch.isfinite(losses[key]), key
    # the DKD terms of all-background RoIs are the hand-made ones
    torch.testing.assert_close(
        losses['loss_distill_dkd'],
        DKDLoss(alpha=1.0, beta=0.25, temperature=1.0)(
            paired.student, paired.teacher,
                                      paired.target))
    # one image with boxes, one without
    inputs, samples, t_inputs = preprocess(
        model, det_batch(with_gt=(True, False)))
    losses = model.loss(inputs, samples, t_inputs)
    assert all(torch.isfinite(v).all() for k, v in losses.items()
               if k.startswith('loss') and torch.is_tensor(v))


def test_teacher_frozen_bit_identical_after_training_steps(tmp_path):
    teacher_cfg = small_frcnn(caffe=True)
    from mmlogitkd.distillers import build_host_model
    torch.manual_seed(3)
    teacher = build_host_model(teacher_cfg, 'teacher')
    ckpt = tmp_path / 'teacher.pth'
    torch.save(dict(state_dict=teacher.state_dict()), ckpt)
    model = build(teacher=teacher_cfg, teacher_ckpt=str(ckpt),
                  losses=dict(dkd=DKD, sdd=GL_DKD))
    saved = copy.deepcopy(model.teacher.state_dict())
    for k, v in teacher.state_dict().items():
        assert torch.equal(saved[k], v), k
    optim = build_optim_wrapper(
        model,
        dict(constructor='DistillOptimWrapperConstructor',
             optimizer=dict(type='SGD', lr=0.01, momentum=0.9)))
    params = {id(p) for g in optim.optimizer.param_groups
              for p in g['params']}
    assert params == {id(p) for p in model.student.parameters()}
    model.train()
    student_before = copy.deepcopy(model.student.state_dict())
    for seed in range(2):
        model.train_step(det_batch(seed=seed), optim)
    for k, v in model.teacher.state_dict().items():
        assert torch.equal(v, saved[k]), k
    assert not any(m.training for m in model.teacher.modules())
    assert all(p.grad is None for p in model.teacher.parameters())
    assert any(not torch.equal(v, student_before[k])
               for k, v in model.student.state_dict().items())


def test_predict_is_the_students():
    model = build().eval()
    batch = det_batch()
    data = model.data_preprocessor(copy.deepcopy(batch), False)
    assert 'teacher_inputs' not in data
    samples = copy.deepcopy(data['data_samples'])
    with torch.no_grad():
        ours = model(**data, mode='predict')
        direct = model.student.predict(data['inputs'], samples)
    for a, b in zip(ours, direct):
        torch.testing.assert_close(a.pred_instances.scores,
                                   b.pred_instances.scores)
        torch.testing.assert_close(a.pred_instances.bboxes,
                                   b.pred_instances.bboxes)


def test_bad_pairs_fail_at_build_time():
    with pytest.raises(ValueError, match='num_classes=10.*num_classes=7'):
        build(teacher=small_frcnn(num_classes=7))
    with pytest.raises(TypeError, match='two-stage'):
        MODELS.build(
            dict(type='DetLogitDistiller',
                 student=small_frcnn(),
                 teacher=dict(type='mmpretrain.ImageClassifier',
                              backbone=dict(type='ResNet', depth=18)),
                 distill_losses=dict(dkd=DKD)))


def test_every_loss_of_the_core_runs_on_rois():
    losses = dict(
        kd=dict(type='KDLoss', temperature=1.0),
        dkd=DKD,
        nkd=dict(type='NKDLoss'),
        ldrld=dict(type='LDRLDLoss', alpha=1.0, beta=0.25, k=7),
        ls=dict(DKD, temperature=2.0, standardize=True),
        rank=dict(type='RankAlignLoss'),
        sdd=GL_DKD)
    model = build(losses=losses).train()
    inputs, samples, t_inputs = preprocess(model, det_batch())
    out = model.loss(inputs, samples, t_inputs)
    for name in losses:
        assert torch.isfinite(out[f'loss_distill_{name}']), name
    # the same numbers from the losses called on the paired logits
    torch.manual_seed(0)
    model2 = build(losses=losses).train()
    torch.manual_seed(5)
    _, paired = model2.paired_logits(inputs, samples, t_inputs)
    torch.manual_seed(5)
    again = model2.loss(inputs, samples, t_inputs)
    for name, loss in model2.distill_losses.items():
        s, t = ((paired.student_views, paired.teacher_views) if name == 'sdd'
                else (paired.student, paired.teacher))
        torch.testing.assert_close(again[f'loss_distill_{name}'],
                                   loss(s, t, paired.target), msg=name)


def test_warmup_counts_iterations():
    from mmengine.logging import MessageHub

    from mmlogitkd.distillers import DistillWarmup
    hub = MessageHub.get_current_instance()
    ramp = DistillWarmup(length=100, by_epoch=False)
    for it, expected in ((0, 0.01), (49, 0.5), (99, 1.0), (500, 1.0)):
        hub.update_info('iter', it)
        assert ramp.factor() == expected
