# Student alone, the baseline of configs/*/frcnn_r101_r18_coco.py: Faster
# R-CNN R-18 FPN (torchvision ImageNet weights) on COCO with exactly the
# distillation configs' recipe (mmdet's data pipeline, 1x schedule, batch 16,
# runtime: ../_base_/det/frcnn_coco_1x.py, which they inherit too). A plain
# mmdet config: mmdet's own tools/train.py runs it as well.
# Paper (LDRLD Tab. 21): 33.26 / 53.61 / 35.26 AP / AP50 / AP75.
_base_ = [
    '../_base_/models/frcnn_r18_fpn.py',
    '../_base_/det/frcnn_coco_1x.py',
]
