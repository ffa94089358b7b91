# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Time one training step of a distiller against its parts, in one run.

    python tools/analysis/benchmark_train_step.py [--teacher resnet32x4]
        [--student resnet8x4] [--batch 64] [--size 32] [--iters 5]
    python tools/analysis/benchmark_train_step.py --task det
        [--batch 2] [--size 512]
    python tools/analysis/benchmark_train_step.py --device cuda [--amp bf16]

Prints, per method, the per-iteration time of ``train_step`` (forward,
backward, SGD update) and its ratio to ``student step + teacher forward``,
the cost floor of any logit distillation. Target: at most 1.05.

- ``--task cls``: CIFAR-style classifiers of our zoo (ResNet32x4 ->
  ResNet8x4 by default).
- ``--task det``: Faster R-CNN FPN, the paper's R-101 teacher (Detectron2
  style) -> R-18 student, random boxes; the teacher forward is its
  backbone, FPN and box head on the student's number of sampled RoIs.
- ``--device cuda``: every step is timed between ``torch.cuda.synchronize()``
  calls, after a warm-up of every step (cuDNN autotuning, allocator).
- ``--amp fp16|bf16``: mixed precision as ``tools/train.py --amp`` runs it,
  mmengine's ``AmpOptimWrapper`` (autocast + dynamic loss scale) on CUDA;
  on CPU (a smoke run, ``bf16``) ``torch.autocast('cpu')`` around the step.
  The teacher forward of the floor runs under the same autocast. After the
  timing, one more step of each method checks that every loss is finite and
  every distillation loss float32.
"""
import argparse
import contextlib
import functools
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import torch  # noqa: E402
from mmengine.optim import build_optim_wrapper  # noqa: E402

from mmlogitkd.distillers import build_host_model  # noqa: E402
from mmlogitkd.registry import MODELS  # noqa: E402
from mmlogitkd.utils import register_all_modules  # noqa: E402

CLS_METHODS = {
    'kd': dict(kd=dict(type='KDLoss', temperature=4.0)),
    'dkd': dict(dkd=dict(type='DKDLoss', alpha=1.0, beta=8.0)),
    'nkd': dict(nkd=dict(type='NKDLoss')),
    'ldrld': dict(ldrld=dict(type='LDRLDLoss', alpha=10.5, beta=7.0, k=7)),
    'sdd_kd': dict(
        sdd=dict(
            type='ScaleDecoupledLoss',
            loss=dict(type='KDLoss', temperature=4.0))),
    'ls_kd': dict(
        kd=dict(type='KDLoss', temperature=2.0, standardize=True,
                loss_weight=9.0)),
    'rank': dict(rank=dict(type='RankAlignLoss', loss_weight=5.0)),
}
DET_DKD = dict(type='DKDLoss', alpha=1.0, beta=0.25, temperature=1.0)
DET_METHODS = {
    'kd': dict(kd=dict(type='KDLoss', temperature=1.0)),
    'dkd': dict(dkd=DET_DKD),
    'nkd': dict(nkd=dict(type='NKDLoss')),
    'ldrld': dict(ldrld=dict(type='LDRLDLoss', alpha=1.0, beta=0.25, k=7,
                             temperature=1.0)),
    'sdd_dkd (GL-DKD)': dict(
        sdd=dict(
            type='ScaleDecoupledLoss',
            loss=dict(DET_DKD, temperature=2.0),
            complementary_weight=1.0,
            skip_nonfinite_views=True)),
    'ls_dkd': dict(dkd=dict(DET_DKD, temperature=2.0, standardize=True)),
    'rank': dict(rank=dict(type='RankAlignLoss')),
}


AMP_DTYPES = dict(fp16=torch.float16, bf16=torch.bfloat16)


def synchronize(device):
    """Wait for queued kernels (CUDA), so a timer sees them run."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def timed(fn, iters, warmup=1, device=torch.device('cpu')):
    for _ in range(warmup):
        fn()
    synchronize(device)
    start = time.perf_counter()
    for _ in range(iters):
        fn()
    synchronize(device)
    return (time.perf_counter() - start) / iters


def optim_for(model, args=None):
    cfg = dict(
        constructor='DistillOptimWrapperConstructor',
        optimizer=dict(type='SGD', lr=0.01, momentum=0.9,
                       weight_decay=5e-4))
    if args is not None and args.amp and args.device.type == 'cuda':
        # what tools/train.py --amp builds
        cfg.update(type='AmpOptimWrapper', loss_scale='dynamic',
                   dtype=args.amp_dtype)
    return build_optim_wrapper(model, cfg)


def amp_context(args):
    """Autocast around a whole step where no AmpOptimWrapper does it (the
    CPU smoke run, and the floor's teacher forward)."""
    if not args.amp:
        return contextlib.nullcontext()
    return torch.autocast(args.device.type, dtype=args.amp_dtype)


def in_amp(fn, args):
    """``fn`` under :func:`amp_context`."""

    def step():
        with amp_context(args):
            return fn()

    return step


def cls_setup(args):
    """Batch, models and the floor's two parts for classification."""
    from mmpretrain.structures import DataSample

    from mmlogitkd.models.backbones.cifar_zoo import \
        get_classifier_cfg as classifier
    batch = dict(
        inputs=list(
            torch.randint(0, 256, (args.batch, 3, args.size, args.size),
                          dtype=torch.uint8)),
        data_samples=[
            DataSample().set_gt_label(int(y))
            for y in torch.randint(0, args.classes, (args.batch, ))
        ])
    preprocessor = dict(
        type='mmpretrain.ClsDataPreprocessor',
        mean=[129.3, 124.1, 112.4],
        std=[68.2, 65.4, 70.4])
    student_cfg = dict(classifier(args.student, args.classes),
                       data_preprocessor=preprocessor)
    teacher_cfg = dict(classifier(args.teacher, args.classes),
                       data_preprocessor=preprocessor)
    teacher = build_host_model(teacher_cfg, 'teacher').eval().to(
        args.device)
    inputs = teacher.data_preprocessor(batch, True)['inputs']

    def teacher_forward():
        with torch.no_grad(), amp_context(args):
            teacher(inputs, mode='tensor')

    title = (f'{args.teacher} -> {args.student}, batch {args.batch}, '
             f'{args.size}x{args.size}, {args.classes} classes')
    return (batch, student_cfg, teacher_cfg, teacher_forward,
            'ClsLogitDistiller', CLS_METHODS, title)


def det_setup(args):
    """Batch, models and the floor's two parts for detection."""
    from mmdet.structures import DetDataSample
    from mmdet.structures.bbox import HorizontalBoxes
    from mmengine.structures import InstanceData
    size = args.size
    samples = []
    for i in range(args.batch):
        xy = torch.rand(6, 2) * size * 0.7
        wh = 16 + torch.rand(6, 2) * size * 0.25
        gt = InstanceData(
            bboxes=HorizontalBoxes(torch.cat([xy, xy + wh], 1)),
            labels=torch.randint(0, 80, (6, )))
        sample = DetDataSample(
            metainfo=dict(img_shape=(size, size), ori_shape=(size, size),
                          scale_factor=(1., 1.), img_id=i))
        sample.gt_instances = gt
        samples.append(sample)
    batch = dict(
        inputs=list(
            torch.randint(0, 256, (args.batch, 3, size, size),
                          dtype=torch.uint8)),
        data_samples=samples)
    student_cfg = dict(
        cfg_path='mmlogitkd::_base_/models/frcnn_r18_fpn.py',
        backbone=dict(init_cfg=None))
    teacher_cfg = dict(
        cfg_path='mmlogitkd::_base_/models/frcnn_r101_fpn_caffe_d2.py')
    teacher = build_host_model(teacher_cfg, 'teacher').eval().to(
        args.device)
    student = build_host_model(student_cfg, 'student')
    inputs = teacher.data_preprocessor(batch, True)['inputs']
    num_rois = student.train_cfg.rcnn.sampler.num * args.batch
    xy = torch.rand(num_rois, 2) * size * 0.8
    rois = torch.cat([
        torch.arange(args.batch).repeat_interleave(
            num_rois // args.batch)[:, None].float(), xy,
        xy + 8 + torch.rand(num_rois, 2) * size * 0.2
    ], 1).to(args.device)

    def teacher_forward():
        with torch.no_grad(), amp_context(args):
            feats = teacher.extract_feat(inputs)
            teacher.roi_head._bbox_forward(feats, rois)

    title = (f'Faster R-CNN FPN R-101 (Detectron2 style) -> R-18, batch '
             f'{args.batch}, {size}x{size}, {num_rois} RoIs per step')
    return (batch, student_cfg, teacher_cfg, teacher_forward,
            'DetLogitDistiller', DET_METHODS, title)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--task', choices=['cls', 'det'], default='cls')
    parser.add_argument('--teacher', default='resnet32x4')
    parser.add_argument('--student', default='resnet8x4')
    parser.add_argument('--batch', type=int)
    parser.add_argument('--size', type=int)
    parser.add_argument('--classes', type=int, default=100)
    parser.add_argument('--iters', type=int)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--methods', help='comma-separated; default all')
    parser.add_argument('--device', default='cpu', type=torch.device,
                        help="'cpu' (default) or 'cuda[:i]'")
    parser.add_argument('--amp', choices=sorted(AMP_DTYPES),
                        help='mixed precision: fp16 or bf16 (CPU: bf16)')
    parser.add_argument('--warmup', type=int, default=3,
                        help='untimed steps of each step before the rounds '
                        '(CUDA only; the CPU timing is unchanged)')
    args = parser.parse_args()
    args.amp_dtype = AMP_DTYPES.get(args.amp)
    det = args.task == 'det'
    args.batch = args.batch or (2 if det else 64)
    args.size = args.size or (512 if det else 32)
    args.iters = args.iters or (2 if det else 5)
    register_all_modules()
    torch.manual_seed(0)

    (batch, student_cfg, teacher_cfg, teacher_forward, distiller, methods,
     title) = (det_setup if det else cls_setup)(args)
    student = build_host_model(student_cfg, 'student').train().to(
        args.device)
    student_optim = optim_for(student, args)
    step_amp = args.amp and args.device.type != 'cuda'
    steps = {
        'student alone': lambda: student.train_step(batch, student_optim),
        'teacher forward (no_grad)': teacher_forward,
    }
    if step_amp:
        steps['student alone'] = in_amp(steps['student alone'], args)
    names = args.methods.split(',') if args.methods else list(methods)
    for name in names:
        model = MODELS.build(
            dict(
                type=distiller,
                student=student_cfg,
                teacher=teacher_cfg,
                distill_losses=methods[name])).train().to(args.device)
        steps[name] = functools.partial(model.train_step, batch,
                                        optim_for(model, args))
        if step_amp:
            steps[name] = in_amp(steps[name], args)

    if args.device.type == 'cuda':
        for fn in steps.values():
            for _ in range(args.warmup):
                fn()
    # Interleaved rounds, best round per step: drifts in machine load hit
    # every step alike instead of whichever happened to run first.
    best = {name: float('inf') for name in steps}
    for _ in range(args.rounds):
        for name, fn in steps.items():
            best[name] = min(best[name],
                             timed(fn, args.iters, device=args.device))
    floor = best['student alone'] + best['teacher forward (no_grad)']

    if args.device.type == 'cuda':
        where = (f'{torch.cuda.get_device_name(args.device)}'
                 f'{", AMP " + args.amp if args.amp else ""}')
    else:
        where = f'{torch.get_num_threads()} threads'
        if args.amp:
            where += f', AMP {args.amp} (CPU autocast)'
    print(f'{title}, {where}, best of '
          f'{args.rounds} rounds of {args.iters} iters')
    print('| step | ms/iter | / (student step + teacher fwd) |')
    print('|---|---:|---:|')
    for name, t in best.items():
        ratio = '-' if name in ('student alone', 'teacher forward (no_grad)'
                                ) else f'{t / floor:.3f}'
        print(f'| {name} | {t * 1e3:.1f} | {ratio} |')
        if name == 'teacher forward (no_grad)':
            print(f'| floor: student + teacher | {floor * 1e3:.1f} | 1.000 |')
    if args.amp:
        check_amp_losses(steps, names, args.amp)


def check_amp_losses(steps, names, amp):
    """One more step of each method: every logged loss finite, every
    distillation loss float32 (the losses leave autocast)."""
    bad = []
    for name in names:
        log_vars = steps[name]()
        for key, value in log_vars.items():
            finite = bool(torch.isfinite(value).all())
            if not finite or (key.startswith('loss_distill')
                              and value.dtype != torch.float32):
                bad.append(f'{name}: {key} = {value.detach().float()} '
                           f'({value.dtype})')
    if bad:
        print(f'AMP {amp}: FAILED\n  ' + '\n  '.join(bad))
        sys.exit(1)
    print(f'AMP {amp}: every loss finite, distillation losses float32 '
          f'({len(names)} methods)')


if __name__ == '__main__':
    main()
