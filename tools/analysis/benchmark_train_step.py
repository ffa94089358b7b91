# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Time one training step of a distiller against its parts, in one run.

    python tools/analysis/benchmark_train_step.py [--teacher resnet32x4]
        [--student resnet8x4] [--batch 64] [--size 32] [--iters 20]

Prints, per method, the per-iteration time of ``train_step`` (forward,
backward, SGD update) and its ratio to ``student step + teacher forward``,
the cost floor of any logit distillation. Target: at most 1.05.
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import torch  # noqa: E402
from mmengine.optim import build_optim_wrapper  # noqa: E402
from mmpretrain.structures import DataSample  # noqa: E402

from mmlogitkd.distillers import build_host_model  # noqa: E402
from mmlogitkd.models.backbones.cifar_zoo import CIFAR_ZOO  # noqa: E402
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


def classifier(arch, num_classes):
    zoo = CIFAR_ZOO[arch]
    backbone = {k: v for k, v in zoo.items() if k != 'out_channels'}
    backbone['type'] = 'mmlogitkd.' + backbone['type']
    return dict(
        type='mmpretrain.ImageClassifier',
        backbone=backbone,
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=num_classes,
            in_channels=zoo['out_channels'],
            loss=dict(type='CrossEntropyLoss')))


def timed(fn, iters, warmup=3):
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
    parser.add_argument('--iters', type=int, default=20)
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
    t_student = timed(lambda: student.train_step(batch, student_optim),
                      args.iters)

    teacher = build_host_model(
        classifier(args.teacher, args.classes), 'teacher').eval()
    inputs = student.data_preprocessor(batch, True)['inputs']

    def teacher_forward():
        with torch.no_grad():
            teacher(inputs, mode='tensor')

    t_teacher = timed(teacher_forward, args.iters)
    floor = t_student + t_teacher

    print(f'{args.teacher} -> {args.student}, batch {args.batch}, '
          f'{args.size}x{args.size}, {args.classes} classes, '
          f'{torch.get_num_threads()} threads, {args.iters} iters')
    print(f'| step | ms/iter | / (student step + teacher fwd) |')
    print('|---|---:|---:|')
    print(f'| student alone | {t_student * 1e3:.1f} | - |')
    print(f'| teacher forward (no_grad) | {t_teacher * 1e3:.1f} | - |')
    print(f'| floor: student + teacher | {floor * 1e3:.1f} | 1.00 |')
    for name in args.methods.split(','):
        model = MODELS.build(
            dict(
                type='ClsLogitDistiller',
                student=classifier(args.student, args.classes),
                teacher=classifier(args.teacher, args.classes),
                distill_losses=METHODS[name],
                data_preprocessor=preprocessor)).train()
        optim = optim_for(model)
        t = timed(lambda: model.train_step(batch, optim), args.iters)
        print(f'| {name} | {t * 1e3:.1f} | {t / floor:.3f} |')


if __name__ == '__main__':
    main()
