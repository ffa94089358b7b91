# Faster R-CNN FPN on COCO, R-101 teacher -> caffe-style R-50 student, on
# mmdet's data pipeline, 1x schedule and runtime
# (../det/frcnn_coco_1x_distill.py). Each method's config adds
# `model.distill_losses`. The models alone: ./models/coco_frcnn_r101_r50.py;
# the student alone on the same recipe: configs/det/frcnn_r50-caffe_coco.py.
_base_ = [
    './models/coco_frcnn_r101_r50.py',
    '../det/frcnn_coco_1x_distill.py',
]
