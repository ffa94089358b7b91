# Faster R-CNN FPN on COCO, the R-101 teacher of ./coco_frcnn_r101_r18.py ->
# mmdet's own R-50 student. ../coco_frcnn_r101_r50.py adds mmdet's data, 1x
# schedule and runtime.
_base_ = './coco_frcnn_r101_r18.py'

model = dict(
    student=dict(cfg_path='mmdet::_base_/models/faster-rcnn_r50_fpn.py'))
