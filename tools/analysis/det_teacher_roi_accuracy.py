# Copyright (c) mmlogitkd contributors. All rights reserved.
"""How right a detection teacher is where it teaches: on the student's RoIs.

``DetLogitDistiller`` distils the class logits of the RoIs that the
*student* samples (its RPN proposals through its own assigner and sampler,
ground-truth boxes added), pooled on the frozen teacher's features and
classified by the teacher's box head. Where the teacher's top class is not
the sampler's label, a distillation loss pulls against the cross-entropy.
This tool runs a distillation config's training data (its pipeline and
seeded sampler, no weight update, both models in eval mode) through
``DetLogitDistiller.paired_logits`` with the given student weights and
counts, over ``--images`` images, the share of RoIs whose teacher argmax is
their label: of the foreground RoIs (a digit / an object class), of those
that overlap their object by IoU >= 0.6 (the sampler calls every RoI of IoU
>= 0.5 foreground, and a box that barely covers its object is where
background is a fair answer) and of all (background included); the
student's own share of the foreground beside it.

    python tools/analysis/det_teacher_roi_accuracy.py \\
        configs/quickstart_det/kd.py \\
        work_dirs/quickstart_det/seed_0/student/iter_200.pth \\
        --cfg-options model.teacher_ckpt=work_dirs/quickstart_det/teacher/teacher.pth

The student checkpoint is a plain mmdet checkpoint of the student (a run of
the student alone) or a distillation checkpoint (its ``student.*``). The
last line printed is the result as JSON (percentages; ``tools/quickstart.py
--task det`` reads it).
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.runner import Runner, set_random_seed  # noqa: E402

from mmlogitkd.apis import register_all_modules  # noqa: E402
from mmlogitkd.apis.cfg_options import CfgOptionsAction  # noqa: E402
from mmlogitkd.registry import MODELS  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Share of the student's RoIs that a detection teacher "
        'classifies right')
    parser.add_argument('config', help='a DetLogitDistiller config')
    parser.add_argument(
        'student_ckpt',
        help='student weights: a plain mmdet checkpoint of the student or a '
        'distillation checkpoint')
    parser.add_argument(
        '--images',
        type=int,
        default=200,
        help='training images to go through (default: 200)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override settings of the config (e.g. model.teacher_ckpt=...)')
    args = parser.parse_args(argv)
    if args.images < 1:
        parser.error('--images must be >= 1')
    return args


#: Foreground RoIs that overlap their object at least this much are counted
#: apart.
IOU_THR = 0.6


def roi_counts(model, batch) -> torch.Tensor:
    """``[7]`` counts of one preprocessed batch: RoIs, foreground RoIs,
    foreground RoIs the teacher / the student classify right, RoIs the
    teacher classifies right, foreground RoIs of IoU >= ``IOU_THR`` with
    their object and those of them the teacher classifies right."""
    from mmdet.structures.bbox import bbox_overlaps
    sample_rois = model._sample_rois
    sampled = []

    def keep(*args, **kwargs):  # the adapter's own sampling, recorded
        results = sample_rois(*args, **kwargs)
        sampled.extend(results)
        return results

    model._sample_rois = keep
    try:
        _, paired = model.paired_logits(
            batch['inputs'], batch['data_samples'],
            batch.get('teacher_inputs', batch['inputs']))
    finally:
        del model._sample_rois
    target = paired.target  # [R]; background = num_classes
    foreground = target < paired.teacher.shape[1] - 1
    # per image, the positives come first (mmdet's SamplingResult.priors)
    iou = torch.cat([
        torch.cat([
            bbox_overlaps(res.pos_priors, res.pos_gt_bboxes,
                          is_aligned=True),
            res.priors.new_zeros(len(res.neg_priors))
        ]) for res in sampled
    ])
    overlapping = foreground & (iou >= IOU_THR)
    teacher_right = paired.teacher.argmax(1) == target
    student_right = paired.student.argmax(1) == target
    return torch.stack([
        torch.tensor(target.numel()),
        foreground.sum(), (teacher_right & foreground).sum(),
        (student_right & foreground).sum(),
        teacher_right.sum(),
        overlapping.sum(), (teacher_right & overlapping).sum()
    ]).cpu()


def teacher_roi_accuracy(cfg: Config, images: int) -> dict:
    """Run ``images`` training images of ``cfg`` (a ``DetLogitDistiller``
    config with ``model.student_ckpt`` set) and return the counts and
    shares (%) of :func:`roi_counts`."""
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    seed = (cfg.get('randomness') or {}).get('seed', 0)
    set_random_seed(seed)  # the RoI sampler's draws too
    model = MODELS.build(cfg.model)
    model.eval()
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=seed)
    counts = torch.zeros(7, dtype=torch.long)
    seen = 0
    with torch.no_grad():
        for data in loader:
            batch = model.data_preprocessor(data, True)
            counts += roi_counts(model, batch)
            seen += len(batch['data_samples'])
            if seen >= images:
                break
    (rois, fg, teacher_fg, student_fg, teacher_all, overlapping,
     teacher_overlapping) = counts.tolist()
    return dict(
        images=seen,
        rois=rois,
        foreground=fg,
        teacher_fg_right=100. * teacher_fg / max(fg, 1),
        student_fg_right=100. * student_fg / max(fg, 1),
        teacher_right=100. * teacher_all / max(rois, 1),
        foreground_iou60=overlapping,
        teacher_fg_iou60_right=100. * teacher_overlapping /
        max(overlapping, 1))


def main(argv=None) -> int:
    args = parse_args(argv)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.model.student_ckpt = args.student_ckpt
    result = teacher_roi_accuracy(cfg, args.images)
    print(f'{result["images"]} training images, {result["rois"]} student '
          f'RoIs ({result["foreground"]} foreground): the teacher classifies '
          f'{result["teacher_fg_right"]:.1f}% of the foreground RoIs right '
          f'({result["teacher_fg_iou60_right"]:.1f}% of the '
          f'{result["foreground_iou60"]} with IoU >= {IOU_THR}; the student '
          f'{result["student_fg_right"]:.1f}%), '
          f'{result["teacher_right"]:.1f}% of all')
    print(json.dumps(result))
    return 0


if __name__ == '__main__':
    sys.exit(main())
