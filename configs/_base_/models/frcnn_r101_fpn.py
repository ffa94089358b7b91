# mmdet's own Faster R-CNN R-101 FPN (pytorch-style ResNet, RGB input with
# ImageNet mean / std), the model of mmdet's model-zoo
# faster-rcnn_r101_fpn_1x_coco: checkpoint
# faster_rcnn_r101_fpn_1x_coco_20200130-f513f705.pth, 39.4 box AP on COCO
# val2017 (the 2x schedule, faster_rcnn_r101_fpn_2x_coco_bbox_mAP-0.398_
# 20200504_210455-1d2dac9c.pth, has 39.8; both per mmdet's
# configs/faster_rcnn/README.md). The 1x checkpoint is at
# https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/
#   faster_rcnn_r101_fpn_1x_coco/
#   faster_rcnn_r101_fpn_1x_coco_20200130-f513f705.pth
# A model file (only `model`): mmdet's R-50 FPN model with depth 101.
_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'

model = dict(
    _scope_='mmdet',
    # the detector checkpoint holds the backbone; nothing to download
    backbone=dict(depth=101, init_cfg=None))
