# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Time one training step of a distiller against its parts, in one run.

    python tools/analysis/benchmark_train_step.py [--teacher resnet32x4]
        [--student resnet8x4] [--batch 64] [--size 32] [--iters 5]
    python tools/analysis/benchmark_train_step.py --task det
        [--batch 2] [--size 512]
    python tools/analysis/benchmark_train_step.py --device cuda [--amp bf16]
    python tools/analysis/benchmark_train_step.py --mode cached

Prints, per method, the per-iteration time of ``train_step`` (forward,
backward, SGD update) and its ratio to ``student step + teacher forward``,
the cost floor of any logit distillation. Target: at most 1.05.

- ``--task cls``: CIFAR-style classifiers of our zoo (ResNet32x4 ->
  ResNet8x4 by default).
- ``--mode online|cached|both`` (cls; default both): ``cached <method>``
  steps read the teacher's logits (and SDD cells) from a teacher cache of
  the batch (``model.teacher_cache``, made in a temporary folder: one
  memory-mapped gather per step, no teacher built) instead of running the
  teacher; their ratio is to the student step alone (target: at most
  1.05).
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
import atexit
import contextlib
import functools
import os.path as osp
import shutil
import sys
import tempfile
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import torch  # noqa: E402
from mmengine.optim import build_optim_wrapper  # noqa: E402

from mmlogitkd.apis import register_all_modules  # noqa: E402
from mmlogitkd.distillers import build_host_model  # noqa: E402
from mmlogitkd.registry import MODELS  # noqa: E402

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

    from mmlogitkd.models.backbones.cifar_zoo import (
        get_classifier_cfg as classifier,
    )
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


def make_batch_cache(folder, batch, teacher_cfg, args):
    """A teacher cache (epoch 0) of the benchmark batch, in ``folder``:
    the teacher's weights as ``teacher.pth``, its logits and SDD cells
    (default scales) as ``tools/cache_teacher_logits.py`` writes them.
    Returns the checkpoint path; the batch's samples get their keys."""
    import json

    import numpy as np

    from mmlogitkd.distillers import grid_cell_logits
    from mmlogitkd.distillers.teacher_cache import (
        CACHE_FORMAT,
        CACHE_VERSION,
        teacher_preprocessor_cfg,
    )
    from mmlogitkd.utils.checkpoint import state_dict_sha256
    teacher = build_host_model(teacher_cfg, 'teacher').eval()
    ckpt = osp.join(folder, 'teacher.pth')
    torch.save(dict(state_dict=teacher.state_dict()), ckpt)
    for i, sample in enumerate(batch['data_samples']):
        sample.set_metainfo(dict(seeded_epoch=0, seeded_index=i))
    inputs = teacher.data_preprocessor(batch, True)['inputs']
    with torch.no_grad():
        maps = teacher.backbone(inputs)
        logits = teacher.head(teacher.neck(maps))
        cells = grid_cell_logits(maps[-1], teacher.head.fc, (1, 2, 4))
    for name, value in (('logits', logits), ('cells', cells)):
        np.save(osp.join(folder, f'{name}.npy'), value[None].numpy())
    meta = dict(
        format=CACHE_FORMAT, version=CACHE_VERSION, complete=True, epochs=1,
        dataset_length=args.batch, num_classes=args.classes, cells=21,
        sdd_scales=[1, 2, 4], dtype='float32',
        teacher_sha256=state_dict_sha256(teacher.state_dict()),
        teacher_data_preprocessor=teacher_preprocessor_cfg(
            teacher_cfg, 'mmpretrain', None),
        logits_shape=[1] + list(logits.shape),
        cells_shape=[1] + list(cells.shape))
    with open(osp.join(folder, 'meta.json'), 'w') as f:
        json.dump(meta, f)
    return ckpt


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
    parser.add_argument(
        '--mode', choices=['online', 'cached', 'both'], default='both',
        help='cls: time the methods with the teacher in the loop, from a '
        'teacher cache, or both (default)')
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
    modes = ['online'] if det else (['online', 'cached'] if args.mode ==
                                    'both' else [args.mode])
    if 'cached' in modes:
        cache_dir = tempfile.mkdtemp(prefix='teacher_cache_bench_')
        atexit.register(shutil.rmtree, cache_dir, True)
        cache_kwargs = dict(
            teacher_cache=cache_dir,
            teacher_ckpt=make_batch_cache(cache_dir, batch, teacher_cfg,
                                          args))
    for mode in modes:
        for name in names:
            model = MODELS.build(
                dict(
                    type=distiller,
                    student=student_cfg,
                    teacher=teacher_cfg,
                    distill_losses=methods[name],
                    **(cache_kwargs if mode == 'cached' else {}))).train().to(
                        args.device)
            key = name if mode == 'online' else f'cached {name}'
            steps[key] = functools.partial(model.train_step, batch,
                                           optim_for(model, args))
            if step_amp:
                steps[key] = in_amp(steps[key], args)

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
    print('| step | ms/iter | / (student step + teacher fwd) '
          '| / student step |')
    print('|---|---:|---:|---:|')
    alone = best['student alone']
    for name, t in best.items():
        parts = name in ('student alone', 'teacher forward (no_grad)')
        ratio = '-' if parts or name.startswith('cached') else \
            f'{t / floor:.3f}'
        print(f'| {name} | {t * 1e3:.1f} | {ratio} | '
              f'{"-" if parts else f"{t / alone:.3f}"} |')
        if name == 'teacher forward (no_grad)':
            print(f'| floor: student + teacher | {floor * 1e3:.1f} | 1.000 '
                  f'| {floor / alone:.3f} |')
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
