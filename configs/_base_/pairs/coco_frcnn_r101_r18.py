# Faster R-CNN FPN on COCO, R-101 teacher -> R-18 student, on mmdet's data
# pipeline, 1x schedule and runtime (../det/frcnn_coco_1x_distill.py). Each
# method's config adds `model.distill_losses`. The models alone:
# ./models/coco_frcnn_r101_r18.py.
_base_ = [
    './models/coco_frcnn_r101_r18.py',
    '../det/frcnn_coco_1x_distill.py',
]
