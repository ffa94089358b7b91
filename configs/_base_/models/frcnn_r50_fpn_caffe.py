# Student: Faster R-CNN R-50 FPN with the MSRA caffe-style ResNet-50 of
# Detectron2 (ImageNet weights R-50.pkl, in mmdet as
# open-mmlab://detectron2/resnet50_caffe = resnet50_msra-5891d200.pth): the
# R-50 student of the official DKD / SDD detection code (mdistiller
# detection/configs/DKD/DKD-R50-R101.yaml on Detectron2's defaults: BGR
# input, pixel std 1, STRIDE_IN_1X1, FrozenBN, FREEZE_AT 2), whose 37.93 AP
# is the papers' R-50 baseline. The model of mmdet's
# faster_rcnn/faster-rcnn_r50-caffe_fpn_1x_coco.py, key for key
# (tests/test_det/test_coco_configs.py holds it to that file).
# A model file: `model` only, referenced with
# student=dict(cfg_path='mmlogitkd::_base_/models/frcnn_r50_fpn_caffe.py').
_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'

model = dict(
    # caffe weights take 0-255 BGR input (std folded into conv1); mmdet
    # loads images as BGR, so no channel swap
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[103.530, 116.280, 123.675],
        std=[1.0, 1.0, 1.0],
        bgr_to_rgb=False,
        pad_size_divisor=32),
    # style 'caffe': the stride-2 conv of a bottleneck is its first 1x1;
    # BN without grad in eval mode is Detectron2's FrozenBN; frozen_stages 1
    # (stem + res2, mmdet's default) is FREEZE_AT 2
    backbone=dict(
        norm_cfg=dict(requires_grad=False),
        norm_eval=True,
        style='caffe',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='open-mmlab://detectron2/resnet50_caffe')))
