# Faster R-CNN FPN on COCO, R-101 teacher -> R-18 student: the distiller (our
# scope inside mmdet's default_scope), its two model files and the teacher's
# weights: Detectron2's faster_rcnn_R_101_FPN_3x (42.0 AP), converted with
# tools/model_converters/detectron2_to_mmdet.py; it keeps its own BGR / std-1
# normalisation. ../coco_frcnn_r101_r18.py adds mmdet's data, 1x schedule and
# runtime.
model = dict(
    _scope_='mmlogitkd',
    type='DetLogitDistiller',
    student=dict(cfg_path='mmlogitkd::_base_/models/frcnn_r18_fpn.py'),
    teacher=dict(
        cfg_path='mmlogitkd::_base_/models/frcnn_r101_fpn_caffe_d2.py'),
    teacher_ckpt='checkpoints/coco/faster_rcnn_R_101_FPN_3x_d2.pth')
