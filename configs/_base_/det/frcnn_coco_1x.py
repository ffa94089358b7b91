# The Faster R-CNN COCO recipe, shared by the distillation configs
# (./frcnn_coco_1x_distill.py) and the students alone (configs/det/), so a
# gain is measured against the same recipe: mmdet's own COCO data pipeline,
# 1x schedule (12 epochs, SGD lr 0.02 at batch 16 = 8 GPUs x 2 images, steps
# at epochs 8 and 11, 500-iteration linear warm-up) and runtime, inherited
# from the installed mmdet as mmdet users write them. The schedule is the
# DKD / LDRLD one: Detectron2's 1x (90k iterations at batch 16; mdistiller
# ran 180k at batch 8 and lr 0.01). Training here is single-scale (1333 x
# 800); mdistiller's detection/configs/Base-Distillation.yaml, as
# Detectron2's Base-RCNN-FPN.yaml, samples the shorter side from 640-800.
#
# default_scope is mmdet's: unprefixed types (CocoDataset, CocoMetric,
# FasterRCNN parts) resolve there.
_base_ = [
    'mmdet::_base_/datasets/coco_detection.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    'mmdet::_base_/default_runtime.py',
]
