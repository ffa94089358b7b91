# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Time one training step of a distiller against its parts, in one run.

    python tools/analysis/benchmark_train_step.py [--teacher resnet32x4]
        [--student resnet8x4] [--batch 64] [--size 32] [--iters 20]

Prints, per method, the per-iteration time of ``train_step`` (forward,
backward, SGD update) and its ratio to ``student step + teacher forward``,
the cost floor of any logit distillation. Target: at most 1.05.
"""
import argparse
import functools
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import torch  # noqa: E402
from mmengine.optim import build_optim_wrapper  # noqa: E402
from mmpretrain.structures import DataSample  # noqa: E402

from mmlogitkd.distillers import build_host_model  # noqa: E402
from mmlogitkd.models.backbones.cifar_zoo import \
    get_classifier_cfg as classifier  # noqa: E402
from mmlogitkd.registry import MODELS  # noqa: E402
from mmlogitkd.utils import register_all_modules  # noqa: E402

METHODS = {
    'kd': dict(kd=dict(type='KDLoss', temperature=4.0)),
    'dkd': dict(dkd=dict(type='DKDLoss', alpha=1.0, beta=8.0)),
    'nkd': dict(nkd=dict(type='NKDLoss')),
    'ldrld': dict(ldrld=dict(type='LDRLDLoss', alpha=10.5, beta=7.0, k=7)),
    'sdd_kd': dict(
        sdd=dict(
            type='ScaleDecoupledLoss',
            loss=dict(type='KDLoss', temperature=4.0),
            scales=(1, 2, 4))),
    'ls_kd': dict(
        kd=dict(type='KDLoss', temperature=2.0, standardize=True,
                loss_weight=9.0)),
    'rank': dict(rank=dict(type='RankAlignLoss', loss_weight=5.0)),
}


def timed(fn, iters, warmup=2):
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    for _ in range(iters):
        fn()
    return (time.perf_counter() - start) / iters


def optim_for(model):
    return build_optim_wrapper(
        model,
        dict(
            constructor='DistillOptimWrapperConstructor',
            optimizer=dict(type='SGD', lr=0.01, momentum=0.9,
                           weight_decay=5e-4)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--teacher', default='resnet32x4')
    parser.add_argument('--student', default='resnet8x4')
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--size', type=int, default=32)
    parser.add_argument('--classes', type=int, default=100)
    parser.add_argument('--iters', type=int, default=5)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--methods', default=','.join(METHODS))
    args = parser.parse_args()
    register_all_modules()
    torch.manual_seed(0)

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

    student = MODELS.build(
        dict(classifier(args.student, args.classes),
             data_preprocessor=preprocessor)).train()
    student_optim = optim_for(student)
    teacher = build_host_model(
        classifier(args.teacher, args.classes), 'teacher').eval()
    inputs = student.data_preprocessor(batch, True)['inputs']

    def teacher_forward():
        with torch.no_grad():
            teacher(inputs, mode='tensor')

    steps = {
        'student alone': lambda: student.train_step(batch, student_optim),
        'teacher forward (no_grad)': teacher_forward,
    }
    for name in args.methods.split(','):
        model = MODELS.build(
            dict(
                type='ClsLogitDistiller',
                student=classifier(args.student, args.classes),
                teacher=classifier(args.teacher, args.classes),
                distill_losses=METHODS[name],
                data_preprocessor=preprocessor)).train()
        steps[name] = functools.partial(model.train_step, batch,
                                        optim_for(model))

    # Interleaved rounds, best round per step: drifts in machine load hit
    # every step alike instead of whichever happened to run first.
    best = {name: float('inf') for name in steps}
    for _ in range(args.rounds):
        for name, fn in steps.items():
            best[name] = min(best[name], timed(fn, args.iters))
    floor = best['student alone'] + best['teacher forward (no_grad)']

    print(f'{args.teacher} -> {args.student}, batch {args.batch}, '
          f'{args.size}x{args.size}, {args.classes} classes, '
          f'{torch.get_num_threads()} threads, best of {args.rounds} rounds '
          f'of {args.iters} iters')
    print('| step | ms/iter | / (student step + teacher fwd) |')
    print('|---|---:|---:|')
    for name, t in best.items():
        ratio = '-' if name in ('student alone', 'teacher forward (no_grad)'
                                ) else f'{t / floor:.3f}'
        print(f'| {name} | {t * 1e3:.1f} | {ratio} |')
        if name == 'teacher forward (no_grad)':
            print(f'| floor: student + teacher | {floor * 1e3:.1f} | 1.000 |')


if __name__ == '__main__':
    main()
