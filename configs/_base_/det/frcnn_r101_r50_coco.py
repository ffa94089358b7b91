# Faster R-CNN FPN on COCO, R-101 teacher -> R-50 student, on mmdet's data
# pipeline, 1x schedule and runtime (frcnn_coco_1x_distill.py). Teacher:
# Detectron2's faster_rcnn_R_101_FPN_3x (42.0 AP), converted with
# tools/model_converters/detectron2_to_mmdet.py; it keeps its own BGR /
# std-1 normalisation. Each method's config adds `model.distill_losses`.
_base_ = ['./frcnn_coco_1x_distill.py']

model = dict(
    _scope_='mmlogitkd',
    type='DetLogitDistiller',
    student=dict(cfg_path='mmdet::_base_/models/faster-rcnn_r50_fpn.py'),
    teacher=dict(
        cfg_path='mmlogitkd::_base_/models/frcnn_r101_fpn_caffe_d2.py'),
    teacher_ckpt='checkpoints/coco/faster_rcnn_R_101_FPN_3x_d2.pth')
