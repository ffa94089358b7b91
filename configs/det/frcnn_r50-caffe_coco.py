# Student alone, the baseline of configs/*/frcnn_r101_r50_coco.py: Faster
# R-CNN R-50 FPN with Detectron2's MSRA caffe-style R-50 (mmdet's
# faster-rcnn_r50-caffe_fpn model) on COCO with exactly the distillation
# configs' recipe (mmdet's data pipeline, 1x schedule, batch 16, runtime:
# ../_base_/det/frcnn_coco_1x.py, which they inherit too). A plain mmdet
# config: mmdet's own tools/train.py runs it as well.
# Paper (LDRLD Tab. 21): 37.93 / 58.84 / 41.05 AP / AP50 / AP75.
_base_ = [
    '../_base_/models/frcnn_r50_fpn_caffe.py',
    '../_base_/det/frcnn_coco_1x.py',
]
