# Faster R-CNN FPN on COCO, the R-101 teacher of ./coco_frcnn_r101_r18.py
# (Detectron2's caffe-style faster_rcnn_R_101_FPN_3x) -> the MSRA
# caffe-style R-50 student of the official DKD / SDD detection code
# (../../models/frcnn_r50_fpn_caffe.py: mmdet's faster-rcnn_r50-caffe_fpn).
# Both take BGR input with std 1, so the teacher shares the student's
# normalised batch. ../coco_frcnn_r101_r50.py adds mmdet's data, 1x schedule
# and runtime; the student alone on that recipe: configs/det/
# frcnn_r50-caffe_coco.py.
_base_ = './coco_frcnn_r101_r18.py'

model = dict(
    student=dict(
        cfg_path='mmlogitkd::_base_/models/frcnn_r50_fpn_caffe.py'))
