# Copyright (c) mmlogitkd contributors. All rights reserved.
"""DOT (mmlogitkd.engine.DOT) against mdistiller's optimizer and trainer
(``mdistiller/engine/dot.py``, ``mdistiller/engine/trainer.py``), in
float64, through the distiller's training step."""
import copy
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import AmpOptimWrapper, OptimWrapper, build_optim_wrapper
from mmpretrain.structures import DataSample

from mmlogitkd.apis import register_all_modules
from mmlogitkd.distillers.two_pass_step import DISTILL_PREFIX, split_losses
from mmlogitkd.engine import DOT
from mmlogitkd.registry import MODELS, OPTIMIZERS

register_all_modules()

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
NUM_CLASSES = 10
LR, MOMENTUM, WEIGHT_DECAY = 0.05, 0.9, 5e-4
# a recipe of each loss family: (distill_losses, CE weight)
LOSSES = {
    'kd': (dict(kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9)),
           0.1),
    'dkd': (dict(dkd=dict(type='DKDLoss', alpha=1.0, beta=8.0,
                          temperature=4.0)), 1.0),
    'ldrld': (dict(ldrld=dict(type='LDRLDLoss', alpha=10.5, beta=7.0, k=7,
                              temperature=4.0)), 1.0),
}


class OfficialDOT(torch.optim.Optimizer):
    """mdistiller's ``DistillationOrientedTrainer`` transcribed from its
    code, linear ``check_in`` scans and single-group assertion included;
    built as its ``DOT`` trainer builds it (``momentum=M - delta``,
    ``momentum_kd=M + delta``)."""

    def __init__(self, params, lr, momentum, delta, weight_decay):
        super().__init__(
            params,
            dict(lr=lr, momentum=momentum - delta,
                 momentum_kd=momentum + delta, dampening=0,
                 weight_decay=weight_decay))
        self.kd_grad_buffer, self.kd_grad_params = [], []
        self.kd_momentum_buffer = []

    @torch.no_grad()
    def step_kd(self):
        assert len(self.param_groups) == 1
        group = self.param_groups[0]
        params, grads, bufs = [], [], []
        for p in group['params']:
            if p.grad is not None:
                params.append(p)
                grads.append(p.grad)
                state = self.state[p]
                bufs.append(state['momentum_kd_buffer']
                            if 'momentum_kd_buffer' in state else None)
        self.kd_momentum_buffer = bufs
        self.kd_grad_buffer = grads
        self.kd_grad_params = params

    @torch.no_grad()
    def step(self):
        assert len(self.param_groups) == 1
        group = self.param_groups[0]
        wd, m, m_kd = (group['weight_decay'], group['momentum'],
                       group['momentum_kd'])
        lr, damp = group['lr'], group['dampening']
        params, grads, bufs = [], [], []
        for p in group['params']:
            if p.grad is not None:
                params.append(p)
                grads.append(p.grad)
                state = self.state[p]
                bufs.append(state['momentum_buffer']
                            if 'momentum_buffer' in state else None)

        def check_in(t, tensors):
            return any(t is i for i in tensors)

        for i, param in enumerate(params):
            d_p = grads[i]
            if wd != 0:
                d_p = d_p.add(param, alpha=wd)
            if m != 0:
                buf = bufs[i]
                if buf is None:
                    buf = torch.clone(d_p).detach()
                    bufs[i] = buf
                elif check_in(param, self.kd_grad_params):
                    buf.mul_(m).add_(d_p, alpha=1 - damp)
                else:
                    buf.mul_((m_kd + m) / 2.).add_(d_p, alpha=1 - damp)
                d_p = buf
            param.add_(d_p, alpha=-lr)
        for i, (d_p, buf, p) in enumerate(
                zip(self.kd_grad_buffer, self.kd_momentum_buffer,
                    self.kd_grad_params)):
            if buf is None:
                buf = torch.clone(d_p).detach()
                self.kd_momentum_buffer[i] = buf
            elif check_in(p, params):
                buf.mul_(m_kd).add_(d_p, alpha=1 - damp)
            else:
                if wd != 0:
                    d_p = d_p.add(p, alpha=wd)
                buf.mul_((m_kd + m) / 2.).add_(d_p, alpha=1 - damp)
            p.add_(buf, alpha=-lr)
        for p, buf in zip(params, bufs):
            self.state[p]['momentum_buffer'] = buf
        for p, buf in zip(self.kd_grad_params, self.kd_momentum_buffer):
            self.state[p]['momentum_kd_buffer'] = buf
        self.kd_grad_buffer, self.kd_grad_params = [], []
        self.kd_momentum_buffer = []


def classifier_cfg(arch, ce_weight=1.0):
    return dict(
        type='mmpretrain.ImageClassifier',
        backbone=dict(type='mmlogitkd.CifarResNet', arch=arch),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=NUM_CLASSES,
            in_channels=64,
            loss=dict(type='CrossEntropyLoss', loss_weight=ce_weight)))


def build(family='kd', **kwargs):
    """A float64 distiller (random teacher) in training mode."""
    losses, ce_weight = LOSSES[family]
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='ClsLogitDistiller',
            student=classifier_cfg('resnet8', ce_weight),
            teacher=classifier_cfg('resnet14'),
            distill_losses=losses,
            data_preprocessor=dict(mean=[120.] * 3, std=[60.] * 3),
            **kwargs))
    return model.double().train()


def make_batch(seed=0, n=8, size=16):
    g = torch.Generator().manual_seed(seed)
    inputs = torch.randint(0, 256, (n, 3, size, size), generator=g,
                           dtype=torch.uint8)
    labels = torch.randint(0, NUM_CLASSES, (n, ), generator=g)
    return dict(
        inputs=list(inputs),
        data_samples=[DataSample().set_gt_label(int(y)) for y in labels])


def two_losses(model, batch):
    """(distillation terms, task losses) of one forward pass."""
    data = model.data_preprocessor(batch, True)
    return split_losses(model._run_forward(data, mode='loss'))


def dot_wrapper(model, delta=0.075, **kwargs):
    return OptimWrapper(
        DOT(model.student.parameters(), lr=LR, momentum=MOMENTUM,
            delta=delta, weight_decay=WEIGHT_DECAY), **kwargs)


def assert_same_params(a, b, **tol):
    for (name, x), y in zip(a.named_parameters(), b.parameters()):
        if tol:
            torch.testing.assert_close(x, y, msg=name, **tol)
        else:
            assert torch.equal(x, y), name


@pytest.fixture(autouse=True)
def fresh_message_hub():
    hub = MessageHub.get_current_instance()
    for key in ('epoch', 'iter', 'max_epochs', 'max_iters', 'last_ckpt'):
        hub.runtime_info.pop(key, None)
    yield


@pytest.mark.parametrize('family', LOSSES)
def test_delta_zero_is_sgd_on_the_summed_losses(family):
    """delta=0: both momenta are SGD's and the two buffers sum to its
    buffer, so DOT's two updates add up to SGD's one on distillation +
    task losses (they differ by float64 rounding only)."""
    model = build(family)
    reference = copy.deepcopy(model)
    dot = dot_wrapper(model, delta=0.)
    sgd = OptimWrapper(
        torch.optim.SGD(reference.student.parameters(), lr=LR,
                        momentum=MOMENTUM, weight_decay=WEIGHT_DECAY))
    for seed in range(5):
        log = model.train_step(make_batch(seed), dot)
        ref_log = reference.train_step(make_batch(seed), sgd)
        for key, value in ref_log.items():
            torch.testing.assert_close(log[key], value, rtol=1e-9, atol=0)
    assert_same_params(model.student, reference.student, rtol=1e-12,
                       atol=1e-14)
    for p, q in zip(model.student.parameters(),
                    reference.student.parameters()):
        state = dot.optimizer.state[p]
        torch.testing.assert_close(
            state['momentum_buffer'] + state['momentum_kd_buffer'],
            sgd.optimizer.state[q]['momentum_buffer'], rtol=1e-10,
            atol=1e-14)


@pytest.mark.parametrize('family', LOSSES)
def test_train_step_is_the_official_dot_trainer(family):
    """The distiller's training step with DOT equals mdistiller's DOT
    trainer (zero_grad, distillation backward with retain_graph, step_kd,
    zero_grad, task backward, step) with the official optimizer, exactly:
    same gradients, same updates, same order."""
    model = build(family)
    reference = copy.deepcopy(model)
    dot = dot_wrapper(model)
    official = OfficialDOT(reference.student.parameters(), LR, MOMENTUM,
                           0.075, WEIGHT_DECAY)
    for seed in range(4):
        model.train_step(make_batch(seed), dot)
        loss_kd, loss_task = two_losses(reference, make_batch(seed))
        official.zero_grad(set_to_none=True)
        loss_kd.backward(retain_graph=True)
        official.step_kd()
        official.zero_grad(set_to_none=True)
        loss_task.backward()
        official.step()
        assert_same_params(model.student, reference.student)
    for p, q in zip(model.student.parameters(),
                    reference.student.parameters()):
        for key in ('momentum_buffer', 'momentum_kd_buffer'):
            assert torch.equal(dot.optimizer.state[p][key],
                               official.state[q][key])


def _grad_sets(step):
    """Which of three parameters get a distillation / task gradient at
    each step: both, distillation only, task only, and first appearances
    late (buffers start at different steps)."""
    return [((0, 1), (0, 2)), ((0, ), (0, 2)), ((0, 1, 2), (0, 1, 2)),
            ((1, 2), (0, )), ((0, 1), (1, 2)), ((0, 1), (0, 2))][step]


@pytest.mark.parametrize('delta', [0.075, 0.09, 0.9])
def test_optimizer_is_the_official_update(delta):
    """DOT against the official optimizer's update equations, float64,
    parameters with both gradients, one or the other, and a task momentum
    of 0 (delta 0.9: no task buffer, as the official code)."""
    g = torch.Generator().manual_seed(0)
    shapes = [(4, 3), (5, ), (2, 2, 2)]
    ours = [torch.randn(s, generator=g, dtype=torch.float64) for s in shapes]
    theirs = [p.clone() for p in ours]
    dot = DOT(ours, lr=0.1, momentum=0.9, delta=delta, weight_decay=5e-4)
    official = OfficialDOT(theirs, 0.1, 0.9, delta, 5e-4)
    for step in range(6):
        kd_set, task_set = _grad_sets(step)
        kd = {i: torch.randn(shapes[i], generator=g, dtype=torch.float64)
              for i in kd_set}
        task = {i: torch.randn(shapes[i], generator=g,
                               dtype=torch.float64) for i in task_set}
        for opt, params in ((dot, ours), (official, theirs)):
            opt.zero_grad(set_to_none=True)
            for i, grad in kd.items():
                params[i].grad = grad.clone()
            opt.step_kd()
            opt.zero_grad(set_to_none=True)
            for i, grad in task.items():
                params[i].grad = grad.clone()
            opt.step()
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert torch.equal(a, b), (step, i)


def test_param_groups_each_with_its_settings():
    """Several param groups (which the official code asserts against) are
    each the official update with their own lr and weight decay."""
    g = torch.Generator().manual_seed(1)
    ours = [torch.randn(3, generator=g, dtype=torch.float64)
            for _ in range(2)]
    theirs = [p.clone() for p in ours]
    dot = DOT([dict(params=[ours[0]]),
               dict(params=[ours[1]], lr=0.01, weight_decay=0.)],
              lr=0.1, weight_decay=5e-4)
    officials = [OfficialDOT([theirs[0]], 0.1, 0.9, 0.075, 5e-4),
                 OfficialDOT([theirs[1]], 0.01, 0.9, 0.075, 0.)]
    for _ in range(3):
        kd = [torch.randn(3, generator=g, dtype=torch.float64)
              for _ in range(2)]
        task = [torch.randn(3, generator=g, dtype=torch.float64)
                for _ in range(2)]
        for p, grad in zip(ours, kd):
            p.grad = grad.clone()
        dot.step_kd()
        for p, grad in zip(ours, task):
            p.grad = grad.clone()
        dot.step()
        for official, p, gk, gt in zip(officials, theirs, kd, task):
            p.grad = gk.clone()
            official.step_kd()
            official.zero_grad(set_to_none=True)
            p.grad = gt.clone()
            official.step()
    for a, b in zip(ours, theirs):
        assert torch.equal(a, b)


def test_state_dict_resumes_the_same_run():
    """Both momentum buffers are optimizer state: a run resumed from a
    state_dict continues as the uninterrupted run."""
    g = torch.Generator().manual_seed(2)
    grads = [(torch.randn(4, generator=g, dtype=torch.float64),
              torch.randn(4, generator=g, dtype=torch.float64))
             for _ in range(4)]

    def run(param, opt, steps):
        for gk, gt in steps:
            param.grad = gk.clone()
            opt.step_kd()
            param.grad = gt.clone()
            opt.step()

    a = torch.ones(4, dtype=torch.float64)
    opt_a = DOT([a], lr=0.1, weight_decay=5e-4)
    run(a, opt_a, grads)
    b = torch.ones(4, dtype=torch.float64)
    opt_b = DOT([b], lr=0.1, weight_decay=5e-4)
    run(b, opt_b, grads[:2])
    saved = copy.deepcopy(opt_b.state_dict())
    assert set(saved['state'][0]) == {'momentum_buffer', 'momentum_kd_buffer'}
    opt_c = DOT([b], lr=0.1, weight_decay=5e-4)
    opt_c.load_state_dict(saved)
    run(b, opt_c, grads[2:])
    assert torch.equal(a, b)


def test_two_passes_give_each_loss_its_own_gradient():
    """step_kd() receives autograd of the distillation terms alone, step()
    the task losses' alone, from one forward pass of the student."""
    model = build('kd')
    reference = copy.deepcopy(model)
    dot = dot_wrapper(model)
    optimizer = dot.optimizer
    seen, forwards = {}, []
    step_kd, step = optimizer.step_kd, optimizer.step

    def spy_step_kd(*args):
        seen['kd'] = [p.grad for p in model.student.parameters()]
        return step_kd(*args)

    def spy_step(*args):
        seen['task'] = [p.grad for p in model.student.parameters()]
        seen['held'] = optimizer.kd_grads()
        return step(*args)

    optimizer.step_kd, optimizer.step = spy_step_kd, spy_step
    handle = model.student.backbone.register_forward_hook(
        lambda *_: forwards.append(1))
    model.train_step(make_batch(), dot)
    handle.remove()
    assert len(forwards) == 1

    params = list(reference.student.parameters())
    loss_kd, loss_task = two_losses(reference, make_batch())
    grad_kd = torch.autograd.grad(loss_kd, params, retain_graph=True)
    grad_task = torch.autograd.grad(loss_task, params)
    for name, expected in (('kd', grad_kd), ('task', grad_task),
                           ('held', grad_kd)):
        assert len(seen[name]) == len(expected)
        for got, want in zip(seen[name], expected):
            assert torch.equal(got, want), name
    # a step ends with no gradient held anywhere
    assert optimizer.kd_grads() == []
    assert all(p.grad is None for p in model.student.parameters())


def _state(model, optim_wrapper):
    weights = {k: v.clone() for k, v in model.student.state_dict().items()}
    buffers = {(i, k): v.clone()
               for i, s in enumerate(optim_wrapper.optimizer.state.values())
               for k, v in s.items()}
    return weights, buffers


def _same(a, b):
    return a[0].keys() == b[0].keys() and a[1].keys() == b[1].keys() and all(
        torch.equal(x[k], y[k]) for x, y in zip(a, b) for k in x)


def test_nonfinite_distillation_loss_raises_without_update():
    model = build('kd')
    dot = dot_wrapper(model)
    model.train_step(make_batch(), dot)  # buffers exist
    before = _state(model, dot)
    model.distill_losses['kd'].loss_weight = float('nan')
    with pytest.raises(FloatingPointError, match='loss_distill_kd'):
        model.train_step(make_batch(1), dot)
    weights, buffers = _state(model, dot)
    assert all(torch.equal(v, before[1][k]) for k, v in buffers.items())
    assert all(
        torch.equal(v, before[0][k]) for k, v in weights.items()
        if 'running' not in k and 'num_batches' not in k)


def test_nonfinite_distillation_gradient_alone_is_caught():
    """Finite losses, an inf in the distillation gradient only (the first
    of the two passes): both gradient sets are checked before either
    updates the weights."""
    model = build('kd', nonfinite_loss='skip')
    dot = dot_wrapper(model)
    model.train_step(make_batch(), dot)
    before = _state(model, dot)
    passes = []

    def poison_first_pass(grad):
        passes.append(1)
        return grad * float('inf') if len(passes) == 1 else grad

    weight = model.student.head.fc.weight
    handle = weight.register_hook(poison_first_pass)
    log = model.train_step(make_batch(1), dot)
    handle.remove()
    assert len(passes) == 2
    assert dict(log) == {'skipped_nonfinite': 1.0}
    assert _same(before, _state(model, dot))  # BN statistics restored too
    assert dot.optimizer.kd_grads() == []
    assert all(p.grad is None or not p.grad.any()
               for p in model.student.parameters())
    log = model.train_step(make_batch(2), dot)
    assert log['skipped_nonfinite'] == 1 and torch.isfinite(log['loss'])
    assert not _same(before, _state(model, dot))


def test_refused_wrappers_fail_at_the_first_step_naming_the_setting():
    model = build('kd')
    before = _state(model, dot_wrapper(model))
    with pytest.raises(ValueError, match='accumulative_counts=2'):
        model.train_step(make_batch(),
                         dot_wrapper(model, accumulative_counts=2))
    with pytest.raises(ValueError, match='clip_grad'):
        model.train_step(make_batch(),
                         dot_wrapper(model, clip_grad=dict(max_norm=1.)))
    # AmpOptimWrapper needs a GPU to build; the check only reads its type
    amp = AmpOptimWrapper.__new__(AmpOptimWrapper)
    amp.__dict__.update(dot_wrapper(model).__dict__)
    with pytest.raises(ValueError, match='AmpOptimWrapper'):
        model.train_step(make_batch(), amp)
    assert _same(before, _state(model, dot_wrapper(model)))


def test_step_without_step_kd_refuses():
    """A single backward pass (a distributed wrapper's train_step) would be
    plain SGD in the official optimizer; here it stops."""
    p = torch.zeros(2, requires_grad=True)
    dot = DOT([p], lr=0.1)
    p.grad = torch.ones(2)
    with pytest.raises(RuntimeError, match='step_kd'):
        dot.step()
    assert not p.detach().any()


def test_argument_checks():
    p = [torch.zeros(1, requires_grad=True)]
    with pytest.raises(ValueError, match='momentum - delta'):
        DOT(p, lr=0.1, momentum=0.05, delta=0.075)
    with pytest.raises(ValueError, match='weight_decay'):
        DOT(p, lr=0.1, weight_decay=-1.)
    with pytest.raises(ValueError, match='learning rate'):
        DOT(p, lr=-0.1)
    with pytest.raises(ValueError, match='no loss_distill_'):
        split_losses(dict(loss=torch.ones(())))
    with pytest.raises(ValueError, match='only loss_distill_'):
        split_losses({DISTILL_PREFIX + 'kd': torch.ones(())})
    # summed as mmengine's parse_losses: means, lists, names with "loss"
    kd, task = split_losses({
        'loss_cls': torch.tensor([1., 3.]),
        'loss_bbox': [torch.tensor([2.]), torch.tensor([4., 6.])],
        'acc': torch.tensor(9.),
        'loss_distill_a': torch.tensor(0.5),
        'loss_distill_b': torch.tensor([1., 2.]),
    })
    assert kd.item() == 2.0 and task.item() == 9.0


DOT_CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'dot', '*.py')))
# the official settings: mdistiller configs/{cifar100/dot,imagenet}/*.yaml
OFFICIAL = {
    'r32x4_r8x4_cifar100.py': (0.05, 5e-4, 0.075, 'kd'),
    'vgg13_vgg8_cifar100.py': (0.05, 5e-4, 0.075, 'kd'),
    'r32x4_shv2_cifar100.py': (0.01, 5e-4, 0.075, 'kd'),
    'r34_r18_imagenet.py': (0.2, 1e-4, 0.09, 'kd'),
    'r50_mv1_imagenet.py': (0.2, 1e-4, 0.09, 'kd'),
    'dkd_r32x4_r8x4_cifar100.py': (0.05, 5e-4, 0.075, 'dkd'),
}


@pytest.mark.parametrize(
    'path', DOT_CONFIGS, ids=[osp.basename(p) for p in DOT_CONFIGS])
def test_config_is_its_base_with_dot(path):
    """Each config is its KD (or DKD) config with the official DOT
    optimizer and the two-pass distributed wrapper, and builds that
    optimizer."""
    name = osp.basename(path)
    lr, weight_decay, delta, method = OFFICIAL[name]
    cfg = Config.fromfile(path)
    base = Config.fromfile(
        osp.join(ROOT, 'configs', method, name.replace('dkd_', '')))
    optimizer = cfg.optim_wrapper.optimizer
    assert optimizer == dict(type='mmlogitkd.DOT', lr=lr, momentum=0.9,
                             weight_decay=weight_decay, delta=delta)
    assert base.optim_wrapper.optimizer == dict(
        type='SGD', lr=lr, momentum=0.9, weight_decay=weight_decay)
    assert cfg.model == base.model
    assert cfg.param_scheduler == base.param_scheduler
    assert cfg.train_cfg == base.train_cfg
    assert cfg.train_dataloader == base.train_dataloader
    assert cfg.auto_scale_lr == base.auto_scale_lr
    assert 'model_wrapper_cfg' not in base
    assert cfg.model_wrapper_cfg == dict(
        type='mmlogitkd.TwoPassDistributedDataParallel')
    wrapper = build_optim_wrapper(torch.nn.Linear(2, 2), cfg.optim_wrapper)
    assert type(wrapper) is OptimWrapper
    assert isinstance(wrapper.optimizer, DOT)
    assert wrapper.optimizer.defaults == dict(
        lr=lr, momentum=0.9, delta=delta, dampening=0.,
        weight_decay=weight_decay)


def test_registered_under_the_scope():
    p = [torch.zeros(1, requires_grad=True)]
    assert isinstance(
        OPTIMIZERS.build(dict(type='mmlogitkd.DOT', params=p, lr=0.1)), DOT)
