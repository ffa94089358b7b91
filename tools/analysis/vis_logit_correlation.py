# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The difference between the teacher's and the student's class-correlation
matrices of the logits on a dataset split (LDRLD suppl. Fig. 5; DKD's and
logit standardization's figures), saved as a PNG heatmap with its mean
absolute value in the title, and printed.

    python tools/analysis/vis_logit_correlation.py CONFIG TEACHER_CKPT \
        STUDENT_CKPT [--split val] [--out FILE.png]

CONFIG is a distillation config: the teacher and the student are built from
its ``model.teacher`` / ``model.student`` (their own data preprocessors, no
distiller), the data from its ``<split>_dataloader``. TEACHER_CKPT is a plain
checkpoint of the teacher (what ``model.teacher_ckpt`` takes); STUDENT_CKPT a
plain student checkpoint or a distillation checkpoint (its ``student.*``
weights). Both are read safely (tensors and plain types only) and loaded
strictly, unless ``--allow-unsafe-checkpoint``.

The matrix (``--mode class_mean``, the default) is the one of the official
DKD / mdistiller ``tools/visualizations/correlation.ipynb``, which the logit
papers' figures use: row ``c`` of a model's ``C x C`` matrix is its mean
logit vector over the samples of class ``c``; the figure shows
``|M_teacher - M_student|`` with the diagonal set to 0, and the value
reported is the mean of that matrix (over all ``C^2`` entries, as the
notebook's ``mean(diff)``, without its division by a fixed maximum).
``--mode pearson``: each model's Pearson correlation matrix of the classes'
logits over the samples instead (diagonal 0 as well).
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

import mmlogitkd  # noqa: E402,F401  (the torchvision shim first)

# isort: split
import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import DictAction  # noqa: E402

MODES = ('class_mean', 'pearson')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Teacher - student difference of the class-correlation '
        'matrices of the logits (heatmap PNG + its mean absolute value)')
    parser.add_argument('config', help='distillation config')
    parser.add_argument('teacher_ckpt', help='teacher checkpoint')
    parser.add_argument(
        'student_ckpt',
        help='student checkpoint: plain, or a distillation checkpoint')
    parser.add_argument(
        '--split', default='val', choices=('train', 'val', 'test'),
        help='the config\'s <split>_dataloader (default: val)')
    parser.add_argument(
        '--out', default=None,
        help='PNG file (default: logit_correlation_diff.png next to the '
        'student checkpoint)')
    parser.add_argument('--mode', default='class_mean', choices=MODES)
    parser.add_argument(
        '--vmax', type=float, default=None,
        help='upper end of the colour scale (default: the largest entry); '
        'fix it to compare figures, as the official notebook (3.0)')
    parser.add_argument(
        '--max-batches', type=int, default=None,
        help='use only the first N batches of the split')
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--allow-unsafe-checkpoint', action='store_true',
        help='read the checkpoints without safe loading\'s allow-list; only '
        'for files you trust')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config, as key=value pairs')
    return parser.parse_args(argv)


def class_mean_matrix(logits: np.ndarray, labels: np.ndarray,
                      num_classes: int) -> np.ndarray:
    """Row ``c``: the mean logit vector of the samples labelled ``c`` (rows
    of classes without samples stay 0)."""
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    total = np.zeros((num_classes, logits.shape[1]))
    np.add.at(total, labels, logits)
    count = np.bincount(labels, minlength=num_classes)[:, None]
    return np.divide(total, count, out=np.zeros_like(total),
                     where=count > 0)


def pearson_matrix(logits: np.ndarray) -> np.ndarray:
    """The ``C x C`` Pearson correlation of the classes' logits over the
    samples (a class with constant logits correlates 0)."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.mean(0, keepdims=True)
    norm = np.sqrt((z * z).sum(0))
    cov = z.T @ z
    denom = np.outer(norm, norm)
    return np.divide(cov, denom, out=np.zeros_like(cov), where=denom > 0)


def correlation_difference(teacher_logits: np.ndarray,
                           student_logits: np.ndarray, labels: np.ndarray,
                           mode: str = 'class_mean') -> np.ndarray:
    """``|M_teacher - M_student|`` with a zero diagonal (see the module
    docstring for ``M``)."""
    if mode not in MODES:
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
    num_classes = teacher_logits.shape[1]
    if student_logits.shape != teacher_logits.shape:
        raise ValueError('teacher and student logits differ in shape: '
                         f'{teacher_logits.shape} vs {student_logits.shape}')
    if mode == 'class_mean':
        m_t = class_mean_matrix(teacher_logits, labels, num_classes)
        m_s = class_mean_matrix(student_logits, labels, num_classes)
    else:
        m_t, m_s = pearson_matrix(teacher_logits), pearson_matrix(
            student_logits)
    diff = np.abs(m_t - m_s)
    np.fill_diagonal(diff, 0.0)
    return diff


def build_models(cfg, teacher_ckpt, student_ckpt, allow_unsafe=False):
    """Teacher and student of a distillation config, each with its own data
    preprocessor, their weights loaded strictly; eval mode."""
    from mmlogitkd.distillers import build_host_model, load_teacher_checkpoint
    from mmlogitkd.distillers.student import (
        distiller_class,
        load_student_weights,
    )
    cls = distiller_class(cfg.model)
    if cls is None:
        raise ValueError(
            f'{cfg.filename}: not a distillation config (model.type='
            f'{cfg.model.get("type")!r}); it must name both the teacher and '
            'the student')
    preprocessor = cfg.model.get('data_preprocessor',
                                 cfg.get('data_preprocessor'))
    if isinstance(preprocessor, dict) and cls.default_preprocessor:
        preprocessor = dict(preprocessor)
        preprocessor.setdefault('type', cls.default_preprocessor)
    teacher = build_host_model(cfg.model['teacher'], 'teacher',
                               cls.host_scope, preprocessor)
    student = build_host_model(cfg.model['student'], 'student',
                               cls.host_scope, preprocessor)
    load_teacher_checkpoint(teacher, teacher_ckpt, allow_unsafe=allow_unsafe)
    load_student_weights(
        student, student_ckpt, allow_unsafe=allow_unsafe,
        opt_in='pass --allow-unsafe-checkpoint')
    return teacher.eval(), student.eval()


@torch.no_grad()
def collect_logits(models, dataloader, device='cpu', max_batches=None):
    """Logits of every model on the same batches, and the labels."""
    outs = [[] for _ in models]
    labels = []
    for i, data in enumerate(dataloader):
        if max_batches is not None and i >= max_batches:
            break
        for model, out in zip(models, outs):
            batch = model.data_preprocessor(data, False)
            logits = model(batch['inputs'], mode='tensor')
            if isinstance(logits, (list, tuple)):
                logits = logits[-1]
            out.append(logits.float().cpu().numpy())
        labels.append(
            torch.cat([ds.gt_label.view(-1) for ds in data['data_samples']
                       ]).cpu().numpy())
    if not labels:
        raise ValueError('the data split is empty')
    return [np.concatenate(o) for o in outs], np.concatenate(labels)


def save_heatmap(diff: np.ndarray, path: str, title: str,
                 vmax=None) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    image = ax.imshow(diff, cmap='PuBuGn', vmin=0.0,
                      vmax=vmax if vmax is not None else
                      (float(diff.max()) or 1.0),
                      interpolation='nearest')
    fig.colorbar(image, ax=ax)
    ax.set_title(title)
    ax.set_xlabel('class')
    ax.set_ylabel('class')
    fig.tight_layout()
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    from mmengine.config import Config
    from mmengine.runner import Runner

    from mmlogitkd.apis import register_all_modules
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    loader_cfg = cfg.get(f'{args.split}_dataloader')
    if not loader_cfg:
        raise ValueError(f'{args.config} has no {args.split}_dataloader')
    teacher, student = build_models(cfg, args.teacher_ckpt,
                                    args.student_ckpt,
                                    args.allow_unsafe_checkpoint)
    teacher.to(args.device)
    student.to(args.device)
    loader_cfg = dict(loader_cfg)
    loader_cfg['persistent_workers'] = False
    dataloader = Runner.build_dataloader(loader_cfg)
    (t_logits, s_logits), labels = collect_logits(
        (teacher, student), dataloader, args.device, args.max_batches)
    diff = correlation_difference(t_logits, s_logits, labels, args.mode)
    value = float(diff.mean())
    out = args.out or osp.join(
        osp.dirname(osp.abspath(args.student_ckpt)),
        'logit_correlation_diff.png')
    title = (f'|teacher - student| ({args.mode}, {args.split}, '
             f'{len(labels)} samples)\nmean {value:.6f}')
    save_heatmap(diff, out, title, args.vmax)
    print(f'mean |teacher - student| correlation difference: {value!r}')
    print(f'saved {out}')
    return value


if __name__ == '__main__':
    main()
