# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The GPU check: everything a GPU machine must confirm, in one run.

    python tools/analysis/gpu_check.py [--device cuda] [--quick]
    bash tools/analysis/gpu_check.sh --wheels DIR   # the usual entry point

Parts (each is reported, none stops the others):

1. ``env``: torch, CUDA, the GPU, and which optional packages are present.
2. ``parity``: every loss of the core (KD, DKD, NKD, LDRLD, RankAlign,
   ScaleDecoupled around each, standardize, weight / avg_factor) in float64
   on the device against CPU, value and gradient; ``soft_rank`` alone at
   (256, 100) and (64, 1000), and its float32 error against float64.
3. ``syncs``: host synchronisations per forward + backward call of each
   loss, counted twice: by ``torch.cuda.set_sync_debug_mode`` (CUDA) and by
   the host-read detector of the tests (``mmlogitkd/testing/host_reads.py``,
   any device). Expected: 0,
   ``RankAlignLoss`` 2 (its ``soft_rank``). On CUDA, a bad target must stop
   a child process with a device-side assert (the range check). For
   information, the syncs of a whole ``ClsLogitDistiller.train_step`` (with
   mmpretrain; with and without AMP).
4. ``mmcv``: ``mmcv.ops.RoIAlign`` and ``nms`` on the device against CPU,
   when mmcv with compiled ops is installed.
5. ``bench``: ``benchmark_losses.py`` and ``benchmark_train_step.py``
   (with and without AMP; needs mmpretrain) on the device; their summary
   lines are copied into the table.
6. ``amp``: a short training run of a CIFAR-sized pair (ResNet32x4 ->
   ResNet8x4 of our zoo, plain PyTorch loop, autocast + GradScaler) with
   every loss: all losses finite and float32, step time against
   ``student step + teacher forward``.

Prints one summary table; exits 1 if any check failed. ``--device cpu``
runs the same code on CPU (a smoke test: parity is then CPU against CPU).
"""
import argparse
import contextlib
import math
import os
import os.path as osp
import platform
import subprocess
import sys
import time
import traceback
import warnings

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

import torch  # noqa: E402

from mmlogitkd.testing import host_reads  # noqa: E402

RESULTS = []  # (part, check, status, detail)
PASS, FAIL, SKIP, INFO = 'PASS', 'FAIL', 'skip', 'info'


def record(part, check, status, detail=''):
    RESULTS.append((part, check, status, detail))
    print(f'[{part}] {check}: {status} {detail}', flush=True)


# --------------------------------------------------------------------------
# host reads, on any device


@contextlib.contextmanager
def count_syncs(device):
    """Yields a dict that gets ``reads`` (the host reads that
    :func:`mmlogitkd.testing.host_reads` sees, the detector of the tests)
    and, on CUDA, ``cuda`` (synchronising CUDA calls seen by the sync debug
    mode)."""
    result = {}
    if device.type != 'cuda':
        with host_reads(limit=None) as reads:
            yield result
        result['reads'] = len(reads)
        return
    torch.cuda.synchronize(device)
    previous = torch.cuda.get_sync_debug_mode()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        torch.cuda.set_sync_debug_mode('warn')
        try:
            with host_reads(limit=None) as reads:
                yield result
        finally:
            torch.cuda.set_sync_debug_mode(previous)
    result['reads'] = len(reads)
    result['cuda'] = sum('synchroniz' in str(w.message) for w in caught)


# --------------------------------------------------------------------------
# the losses


def loss_cases():
    """(name, config, layout) of every loss of the core."""
    plain = [
        ('KD', dict(type='KDLoss')),
        ('KD+LS', dict(type='KDLoss', standardize=True)),
        ('DKD', dict(type='DKDLoss')),
        ('DKD+LS', dict(type='DKDLoss', standardize=True)),
        ('NKD', dict(type='NKDLoss', temperature=2.0)),
        ('NKD+LS', dict(type='NKDLoss', standardize=True)),
        ('LDRLD', dict(type='LDRLDLoss')),
        ('LDRLD teacher-topk+LS',
         dict(type='LDRLDLoss', topk_from='teacher', standardize=True)),
        ('RankAlign l2', dict(type='RankAlignLoss')),
        ('RankAlign l1', dict(type='RankAlignLoss', mode='l1')),
        ('RankAlign spearman', dict(type='RankAlignLoss', mode='spearman')),
    ]
    cases = [(name, cfg, 'plain') for name, cfg in plain]
    for name, cfg in plain[:9:2]:
        cases.append((f'SDD({name})',
                      dict(type='ScaleDecoupledLoss', loss=cfg), 'views'))
    cases.append(('GL-DKD (skip non-finite)',
                  dict(type='ScaleDecoupledLoss', loss=dict(type='DKDLoss'),
                       complementary_weight=1.0, skip_nonfinite_views=True),
                  'views'))
    return cases


def make_inputs(layout, N, C, dtype, device, seed=0, K=5):
    g = torch.Generator().manual_seed(seed)
    shape = (N, C, K) if layout == 'views' else (N, C)
    s = torch.randn(*shape, generator=g, dtype=torch.float64) * 3
    t = torch.randn(*shape, generator=g, dtype=torch.float64) * 3
    y = torch.randint(0, C, (N, ), generator=g)
    w = torch.rand(N, generator=g, dtype=torch.float64)
    return [x.to(device, dtype) if x.is_floating_point() else x.to(device)
            for x in (s, t, y, w)]


def loss_step(loss, s, t, y, w):
    """Forward + backward as a training step runs them; returns the value
    and the student gradient."""
    s = s.detach().requires_grad_()
    value = loss(s, t, y, weight=w, avg_factor=s.shape[0] / 2)
    value.backward()
    return value.detach(), s.grad


def build(cfg, device):
    from mmlogitkd.registry import MODELS
    return MODELS.build(cfg).to(device)


def max_rel(a, b):
    a, b = a.detach().double().cpu(), b.detach().double().cpu()
    return float((a - b).abs().max() / b.abs().max().clamp(min=1e-30))


def check_parity(args, device):
    from mmlogitkd.losses import soft_rank
    tol = 1e-9
    # (300, 120): LDRLD's large-batch top-k path on CPU
    shapes = [(16, 20)] if args.quick else [(64, 100), (300, 120)]
    for name, cfg, layout in loss_cases():
        for N, C in shapes:
            cpu = make_inputs(layout, N, C, torch.float64, 'cpu', seed=N)
            dev = [x.to(device) for x in cpu]
            v0, g0 = loss_step(build(cfg, 'cpu'), *cpu)
            v1, g1 = loss_step(build(cfg, device), *dev)
            err_v, err_g = max_rel(v1, v0), max_rel(g1, g0)
            ok = err_v <= tol and err_g <= tol and bool(
                torch.isfinite(g1).all())
            record('parity', f'{name} ({N}, {C}) float64',
                   PASS if ok else FAIL,
                   f'value {err_v:.1e}, grad {err_g:.1e} (tol {tol:g})')
    for N, C in [(32, 50)] if args.quick else [(256, 100), (64, 1000)]:
        g = torch.Generator().manual_seed(C)
        x = torch.randn(N, C, generator=g, dtype=torch.float64) * 3
        cot = torch.randn(N, C, generator=g, dtype=torch.float64)
        xc = x.clone().requires_grad_()
        r0 = soft_rank(xc, 1.0)
        g0, = torch.autograd.grad(r0, xc, cot)
        xd = x.to(device).requires_grad_()
        r1 = soft_rank(xd, 1.0)
        g1, = torch.autograd.grad(r1, xd, cot.to(device))
        err_v, err_g = max_rel(r1, r0), max_rel(g1, g0)
        record('parity', f'soft_rank ({N}, {C}) float64',
               PASS if max(err_v, err_g) <= tol else FAIL,
               f'ranks {err_v:.1e}, grad {err_g:.1e}')
        # float32 on the device against float64 on CPU, same input values
        x32 = x.float()
        r64 = soft_rank(x32.double(), 1.0)
        xf = x32.to(device).requires_grad_()
        r32 = soft_rank(xf, 1.0)
        g32, = torch.autograd.grad(r32, xf, cot.float().to(device))
        x64 = x32.double().requires_grad_()
        g64, = torch.autograd.grad(soft_rank(x64, 1.0), x64, cot)
        err = float((r32.double().cpu() - r64).abs().max())
        ulp = torch.finfo(torch.float32).eps * C
        record('parity', f'soft_rank ({N}, {C}) float32 vs float64',
               PASS if err <= 8 * ulp else FAIL,
               f'max |r32 - r64| {err:.1e} ({err / ulp:.1f} x n*eps32), '
               f'grad rel {max_rel(g32, g64):.1e}')


def check_syncs(args, device):
    expected = {'RankAlign': 2}
    for name, cfg, layout in loss_cases():
        shapes = [(64, 100)]
        if 'LDRLD' in name and not args.quick:
            shapes.append((1024, 81))  # the large-batch top-k path
        for N, C in shapes:
            loss = build(cfg, device)
            inputs = make_inputs(layout, N, C, torch.float32, device)
            loss_step(loss, *inputs)  # warm-up: lazy inits may sync once
            with count_syncs(device) as counted:
                loss_step(loss, *inputs)
            want = next((v for k, v in expected.items() if k in name), 0)
            got = counted.get('cuda', counted['reads'])
            detail = f"host reads {counted['reads']}"
            if 'cuda' in counted:
                detail += f", CUDA syncs {counted['cuda']}"
            record('syncs', f'{name} ({N}, {C})',
                   PASS if got <= want and counted['reads'] <= want else FAIL,
                   f'{detail} (expected {want})')
    if device.type == 'cuda':
        check_device_assert(device)
    train_step_syncs(args, device)


def train_step_syncs(args, device):
    """Syncs in one whole ``train_step`` of a ClsLogitDistiller (KD and
    rank alignment; mmpretrain's models, the optimizer and, with AMP,
    GradScaler included), for information: the losses add none (KD) or 2
    (rank); everything else is the step's own."""
    try:
        from mmengine.optim import build_optim_wrapper
        from mmpretrain.structures import DataSample

        from mmlogitkd.apis import register_all_modules
        from mmlogitkd.models.backbones.cifar_zoo import get_classifier_cfg
        from mmlogitkd.registry import MODELS
        register_all_modules()
    except Exception as exc:  # noqa: BLE001
        record('syncs', 'ClsLogitDistiller.train_step', SKIP,
               f'needs mmpretrain: {type(exc).__name__}')
        return
    g = torch.Generator().manual_seed(0)
    batch = dict(
        inputs=list(torch.randint(0, 256, (16, 3, 32, 32), generator=g,
                                  dtype=torch.uint8)),
        data_samples=[DataSample().set_gt_label(int(y))
                      for y in torch.randint(0, 100, (16, ), generator=g)])
    preprocessor = dict(type='mmpretrain.ClsDataPreprocessor',
                        mean=[128.] * 3, std=[64.] * 3)
    amps = [None] + (['float16'] if device.type == 'cuda' else [])
    for name, losses in (('KD', dict(kd=dict(type='KDLoss'))),
                         ('rank', dict(rank=dict(type='RankAlignLoss')))):
        for amp in amps:
            model = MODELS.build(dict(
                type='ClsLogitDistiller',
                student=dict(get_classifier_cfg('resnet8', 100),
                             data_preprocessor=preprocessor),
                teacher=dict(get_classifier_cfg('resnet14', 100),
                             data_preprocessor=preprocessor),
                distill_losses=losses)).to(device).train()
            cfg = dict(constructor='DistillOptimWrapperConstructor',
                       optimizer=dict(type='SGD', lr=0.01, momentum=0.9))
            if amp:
                cfg.update(type='AmpOptimWrapper', dtype=amp,
                           loss_scale='dynamic')
            optim = build_optim_wrapper(model, cfg)
            model.train_step(batch, optim)  # warm-up
            with count_syncs(device) as counted:
                model.train_step(batch, optim)
            detail = f"host reads {counted['reads']}"
            if 'cuda' in counted:
                detail += f", CUDA syncs {counted['cuda']}"
            record('syncs', f'ClsLogitDistiller.train_step {name}'
                   + (f' AMP {amp}' if amp else ''), INFO, detail)


def check_device_assert(device):
    """A target out of range must stop the run (device-side assert) without
    any host read in the loss call: checked in a child process, since a
    device-side assert ends its CUDA context."""
    code = ('import sys, torch; sys.path.insert(0, %r); '
            'from mmlogitkd.losses import DKDLoss; '
            "s = torch.randn(8, 10, device='%s'); "
            'y = torch.arange(8, device=s.device) + 5; '
            'out = DKDLoss()(s, s, y); torch.cuda.synchronize(); '
            "print('NO ASSERT')" % (ROOT, device))
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True, timeout=120)
    text = proc.stdout + proc.stderr
    ok = proc.returncode != 0 and 'NO ASSERT' not in text and (
        'assert' in text.lower() or 'CUDA error' in text)
    last = text.strip().splitlines()[-1] if text.strip() else ''
    record('syncs', 'bad target -> device-side assert',
           PASS if ok else FAIL, last[:100])


# --------------------------------------------------------------------------
# mmcv ops


def check_mmcv(args, device):
    try:
        from mmcv.ops import RoIAlign, nms
        from mmcv.utils import ext_loader
        ext_loader.load_ext('_ext', ['nms'])
    except Exception as exc:  # noqa: BLE001
        record('mmcv', 'RoIAlign / nms', SKIP,
               f'mmcv with compiled ops not importable: '
               f'{type(exc).__name__}: {str(exc)[:60]}')
        return
    import mmcv
    g = torch.Generator().manual_seed(0)
    feats = torch.randn(2, 16, 32, 32, generator=g)
    xy = torch.rand(40, 2, generator=g) * 24
    boxes = torch.cat([xy, xy + 2 + torch.rand(40, 2, generator=g) * 8], 1)
    rois = torch.cat([torch.randint(0, 2, (40, 1), generator=g).float(),
                      boxes], 1)
    layer = RoIAlign((7, 7), spatial_scale=1.0, sampling_ratio=2,
                     aligned=True)
    feats_d = feats.to(device, copy=True).requires_grad_()
    out_d = layer(feats_d, rois.to(device))
    feats_c = feats.clone().requires_grad_()
    out_c = layer(feats_c, rois)
    out_d.sum().backward()
    out_c.sum().backward()
    err = max(max_rel(out_d, out_c), max_rel(feats_d.grad, feats_c.grad))
    record('mmcv', f'RoIAlign {device} vs cpu (mmcv {mmcv.__version__})',
           PASS if err < 1e-4 else FAIL, f'max rel {err:.1e}')
    scores = torch.rand(40, generator=g)
    keep_d = nms(boxes.to(device), scores.to(device), 0.5)[1].cpu()
    keep_c = nms(boxes, scores, 0.5)[1]
    same = torch.equal(keep_d.sort().values, keep_c.sort().values)
    record('mmcv', f'nms {device} vs cpu', PASS if same else FAIL,
           f'{len(keep_d)} / {len(keep_c)} boxes kept')


# --------------------------------------------------------------------------
# benchmarks


def run_tool(part, argv, timeout, pick):
    """Run a tool, keep the lines ``pick`` selects for the table."""
    start = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable] + argv, capture_output=True,
                              text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        record(part, ' '.join(argv[:1] + argv[-3:]), FAIL,
               f'timed out after {timeout} s')
        return
    out = [line for line in proc.stdout.splitlines() if 'USDT' not in line]
    print('\n'.join(out), flush=True)
    name = osp.basename(argv[0]) + ' ' + ' '.join(argv[1:])
    if proc.returncode:
        record(part, name, FAIL,
               f'exit {proc.returncode}: {proc.stderr.strip()[-300:]}')
        return
    record(part, name, PASS, f'{time.perf_counter() - start:.0f} s')
    for line in pick(out):
        record(part, '  ' + line.strip()[:60], INFO, line.strip()[60:])


def check_benchmarks(args, device, deadline):
    tools = osp.join('tools', 'analysis')

    def summary(lines):
        return lines[lines.index('summary') + 1:] if 'summary' in lines \
            else []

    def table(lines):
        return [line for line in lines if line.startswith('| ')
                and 'ms/iter' not in line] + [
                    line for line in lines if line.startswith('AMP')
                ]

    left = deadline - time.perf_counter()
    run_tool('bench', [osp.join(tools, 'benchmark_losses.py'), '--device',
                       str(device), '--repeat', '30'],
             min(180, max(30, left - 120)), summary)
    try:
        import mmpretrain  # noqa: F401
    except Exception:  # noqa: BLE001
        record('bench', 'benchmark_train_step.py', SKIP,
               'mmpretrain (and mmcv) not installed')
        return
    for amp in ([], ['--amp', 'fp16'], ['--amp', 'bf16']):
        left = deadline - time.perf_counter()
        if left < 60:
            record('bench', f'benchmark_train_step.py {" ".join(amp)}',
                   SKIP, 'out of time')
            continue
        run_tool('bench', [osp.join(tools, 'benchmark_train_step.py'),
                           '--device', str(device), '--iters', '10'] + amp,
                 min(150, left - 30), table)


# --------------------------------------------------------------------------
# a short AMP training run


def cifar_pair(device, teacher_arch, student_arch, classes):
    import torch.nn as nn

    from mmlogitkd.models.backbones import CifarResNet

    class Classifier(nn.Module):

        def __init__(self, arch):
            super().__init__()
            self.backbone = CifarResNet(arch=arch)
            width = 256 if arch.endswith('x4') else 64
            self.fc = nn.Linear(width, classes)

        def forward(self, x):
            return self.fc(self.backbone(x)[-1].mean((2, 3)))

    torch.manual_seed(0)
    teacher = Classifier(teacher_arch).to(device).eval()
    student = Classifier(student_arch).to(device).train()
    return teacher, student


def check_amp_training(args, device):
    """Every loss in a real step under autocast: finite float32 losses, the
    student learns (loss goes down on a fixed batch), and the step time
    against the floor (student step + teacher forward)."""
    import torch.nn.functional as F

    from mmlogitkd.distillers.views import grid_cell_logits
    if args.quick:  # a smoke run: no timing, two steps of a tiny pair
        pair, batch, size, steps = ('resnet8', 'resnet8'), 2, 16, 2
    else:
        pair, batch, size, steps = ('resnet32x4', 'resnet8x4'), 64, 32, 30
    dtypes = [torch.bfloat16] if device.type != 'cuda' else [
        torch.float16, torch.bfloat16
    ]
    classes = 100
    g = torch.Generator().manual_seed(0)
    x = torch.randn(batch, 3, size, size, generator=g).to(device)
    y = torch.randint(0, classes, (batch, ), generator=g).to(device)
    cases = [(n, c) for n, c, layout in loss_cases() if layout == 'plain']
    cases.append(('SDD(DKD)', dict(type='ScaleDecoupledLoss',
                                   loss=dict(type='DKDLoss'))))
    if args.quick:  # one of each kind
        cases = [c for c in cases if c[0] in ('KD+LS', 'DKD', 'LDRLD',
                                              'RankAlign l2', 'SDD(DKD)')]
    for dtype in dtypes:
        tag = str(dtype).replace('torch.', '')
        teacher, student = cifar_pair(device, *pair, classes)
        init = {k: v.clone() for k, v in student.state_dict().items()}

        def logits(model, views):
            maps = model.backbone(x)[-1]
            out = model.fc(maps.mean((2, 3)))
            cells = grid_cell_logits(maps, model.fc, (1, 2)) \
                if views else None
            return out, cells

        def step(loss_fn, optim, scaler):
            with torch.autocast(device.type, dtype=dtype):
                views = loss_fn is not None and hasattr(loss_fn,
                                                        'complementary_weight')
                if loss_fn is not None:
                    with torch.no_grad():
                        t_out, t_cells = logits(teacher, views)
                s_out, s_cells = logits(student, views)
                ce = F.cross_entropy(s_out, y)
                kd = None
                if loss_fn is not None:
                    kd = loss_fn(s_cells, t_cells, y) if views else loss_fn(
                        s_out, t_out, y)
                total = ce + kd if kd is not None else ce
            optim.zero_grad(set_to_none=True)
            scaler.scale(total).backward()
            scaler.step(optim)
            scaler.update()
            return ce, kd

        def timed(fn, n):
            fn()
            if device.type == 'cuda':
                torch.cuda.synchronize(device)
            start = time.perf_counter()
            for _ in range(n):
                fn()
            if device.type == 'cuda':
                torch.cuda.synchronize(device)
            return (time.perf_counter() - start) / n

        def fresh(loss_fn):
            student.load_state_dict(init)
            optim = torch.optim.SGD(student.parameters(), lr=0.01,
                                    momentum=0.9)
            scaler = torch.amp.GradScaler(
                device.type, enabled=dtype == torch.float16)
            return lambda: step(loss_fn, optim, scaler)

        n = max(2, steps // 3)

        def teacher_fwd():
            with torch.no_grad(), torch.autocast(device.type, dtype=dtype):
                logits(teacher, False)

        floor = None if args.quick else timed(fresh(None), n) + timed(
            teacher_fwd, n)
        for name, cfg in cases:
            loss_fn = build(cfg, device)
            run = fresh(loss_fn)
            history, bad = [], []
            for _ in range(steps):
                ce, kd = run()
                history.append(float(ce + kd))
                if not (torch.isfinite(kd) and kd.dtype == torch.float32):
                    bad.append(f'{float(kd)} ({kd.dtype})')
            learns = args.quick or history[-1] < history[0]
            ok = not bad and learns and all(map(math.isfinite, history))
            detail = f'loss {history[0]:.3f} -> {history[-1]:.3f}, float32'
            if floor:
                detail += f', step / floor {timed(run, n) / floor:.3f}'
            record('amp', f'{tag} {name}', PASS if ok else FAIL,
                   detail + (f'; bad: {bad[:2]}' if bad else ''))


# --------------------------------------------------------------------------


def check_env(args, device):
    versions = [
        f'torch {torch.__version__}', f'python {platform.python_version()}'
    ]
    if device.type == 'cuda':
        cap = torch.cuda.get_device_capability(device)
        versions += [
            f'CUDA {torch.version.cuda}',
            f'{torch.cuda.get_device_name(device)} (sm_{cap[0]}{cap[1]})'
        ]
    record('env', 'versions', INFO, ', '.join(versions))
    found = []
    for name in ('numpy', 'mmengine', 'mmcv', 'mmdet', 'mmpretrain',
                 'torchsort', 'triton'):
        try:
            module = __import__(name)
            found.append(f'{name} {getattr(module, "__version__", "?")}')
        except Exception:  # noqa: BLE001
            found.append(f'{name} -')
    record('env', 'packages', INFO, ', '.join(found))


def print_table():
    width = max(len(check) for _, check, _, _ in RESULTS)
    print('\n' + '=' * 30 + ' GPU check summary ' + '=' * 30)
    print(f'{"part":<7} {"check":<{width}} {"result":<6} detail')
    for part, check, status, detail in RESULTS:
        print(f'{part:<7} {check:<{width}} {status:<6} {detail}')
    counts = {s: sum(r[2] == s for r in RESULTS) for s in (PASS, FAIL, SKIP)}
    print(f'{counts[PASS]} passed, {counts[FAIL]} failed, '
          f'{counts[SKIP]} skipped')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default=None,
                        help='default: cuda if available, else cpu')
    parser.add_argument('--quick', action='store_true',
                        help='no benchmarks, a tiny AMP run (CPU smoke test)')
    parser.add_argument('--parts', default='env,parity,syncs,mmcv,bench,amp',
                        help='comma-separated subset of the parts')
    parser.add_argument('--budget', type=float, default=450,
                        help='seconds; later parts are skipped past it')
    args = parser.parse_args()
    device = torch.device(args.device or (
        'cuda' if torch.cuda.is_available() else 'cpu'))
    deadline = time.perf_counter() + args.budget
    os.environ.setdefault('PYTHONPATH', ROOT)
    # the loss core only needs mmengine; mmcv / mmdet / mmpretrain are
    # optional here (the parts that need them say so and are skipped)
    import mmlogitkd.losses  # noqa: F401  (registers the losses)
    parts = dict(env=check_env, parity=check_parity, syncs=check_syncs,
                 mmcv=check_mmcv, amp=check_amp_training,
                 bench=lambda a, d: check_benchmarks(a, d, deadline))
    wanted = args.parts.split(',')
    if args.quick and 'bench' in wanted:
        wanted.remove('bench')
        record('bench', 'benchmarks', SKIP, '--quick')
    timings = []
    for name in wanted:
        if time.perf_counter() > deadline:
            record(name, name, SKIP, f'past the {args.budget:.0f} s budget')
            continue
        start = time.perf_counter()
        try:
            parts[name](args, device)
        except Exception as exc:  # noqa: BLE001
            traceback.print_exc()
            record(name, f'{name} crashed', FAIL,
                   f'{type(exc).__name__}: {str(exc)[:120]}')
        timings.append(f'{name} {time.perf_counter() - start:.0f} s')
    print_table()
    print('time: ' + ', '.join(timings))
    sys.exit(1 if any(r[2] == FAIL for r in RESULTS) else 0)


if __name__ == '__main__':
    main()
