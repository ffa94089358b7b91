# Teacher: Detectron2's COCO-Detection/faster_rcnn_R_101_FPN_3x
# (model_final_f6e8b1.pkl, model id 137851257, 42.0 box AP on COCO val2017)
# as an mmdet 3.x FasterRCNN. Convert the weights with
#   python tools/model_converters/detectron2_to_mmdet.py \
#       model_final_f6e8b1.pkl frcnn_r101_fpn_caffe_d2.pth \
#       --config configs/_base_/models/frcnn_r101_fpn_caffe_d2.py
# Architecture and inference settings follow Detectron2's defaults.py,
# Base-RCNN-FPN.yaml and faster_rcnn_R_101_FPN_3x.yaml; everything not
# commented is the same as mmdet's _base_/models/faster-rcnn_r50_fpn.py,
# which this model file inherits.
# What matches Detectron2 without a change (verified in its sources):
# - RPN: 3 anchors per location, one size per level (32..512 = scales 8 x
#   strides 4..64), ratios (0.5, 1, 2) in this order, centred on
#   (x, y) * stride (OFFSET 0 = center_offset 0); deltas (dx, dy, dw, dh),
#   weights (1, 1, 1, 1); test: top 1000 per level before NMS, NMS 0.7,
#   1000 proposals per image after it (POST_NMS_TOPK_TEST is per image).
# - RoI: ROIAlignV2 = mmcv RoIAlign(aligned=True), sampling ratio 0, 7x7;
#   level = floor(4 + log2(sqrt(area) / 224)) on P2..P5 = finest_scale 56.
# - Box head: 2 x fc 1024 on the C x 7 x 7 flattened feature; 81 softmax
#   scores, background last; class-specific deltas with weights
#   (10, 10, 5, 5) = target_stds (0.1, 0.1, 0.2, 0.2); test: score > 0.05,
#   per-class NMS 0.5, 100 detections per image.
# Known small differences, none in the weights: Detectron2 clamps dw / dh
# only from above when decoding (mmdet both ways, beyond a 62x shrink), and
# resizes test images with PIL bilinear (antialiased) where mmdet's Resize
# uses cv2 unless `backend='pillow'` is set in the test pipeline.
_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'

model = dict(
    _scope_='mmdet',
    # Detectron2: INPUT.FORMAT 'BGR', PIXEL_MEAN BGR, PIXEL_STD 1 (caffe
    # weights on 0-255 BGR input); mmdet loads images as BGR, so no swap.
    data_preprocessor=dict(
        mean=[103.530, 116.280, 123.675], std=[1.0, 1.0, 1.0],
        bgr_to_rgb=False),
    # Detectron2: ResNet-101, STRIDE_IN_1X1 True (= style 'caffe'),
    # FrozenBN (= BN without grad in eval mode), FREEZE_AT 2 (stem + res2
    # = frozen_stages 1). Weights come from the converted checkpoint.
    backbone=dict(
        depth=101,
        norm_cfg=dict(type='BN', requires_grad=False),
        style='caffe',
        init_cfg=None),
    # FPN: 256 channels, no norm, sum fusion, nearest 2x upsampling, P6 =
    # max_pool(kernel 1, stride 2) of P5 (LastLevelMaxPool): mmdet's FPN.
    # RPN (smooth L1 with beta 0 = L1) and train settings (RPN IoU 0.3 /
    # 0.7, 256 anchors at 1/2 positive, 2000 before / 1000 after NMS; RoI
    # IoU 0.5, 512 RoIs at 1/4 positive, ground truth appended) are mmdet's.
    roi_head=dict(
        bbox_roi_extractor=dict(
            # ROIAlignV2; level = floor(4 + log2(sqrt(area) / 224))
            roi_layer=dict(aligned=True),
            finest_scale=56)),
    # Detectron2: PRE_NMS_TOPK_TEST 1000 (per level), NMS_THRESH 0.7,
    # POST_NMS_TOPK_TEST 1000 (per image), MIN_SIZE 0; SCORE_THRESH_TEST
    # 0.05, NMS_THRESH_TEST 0.5, DETECTIONS_PER_IMAGE 100: mmdet's values.
)
