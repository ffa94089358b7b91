# Teacher: Detectron2's COCO-Detection/faster_rcnn_R_101_FPN_3x
# (model_final_f6e8b1.pkl, model id 137851257, 42.0 box AP on COCO val2017)
# as an mmdet 3.x FasterRCNN. Convert the weights with
#   python tools/model_converters/detectron2_to_mmdet.py \
#       model_final_f6e8b1.pkl frcnn_r101_fpn_caffe_d2.pth \
#       --config configs/_base_/models/frcnn_r101_fpn_caffe_d2.py
# Architecture and inference settings follow Detectron2's defaults.py,
# Base-RCNN-FPN.yaml and faster_rcnn_R_101_FPN_3x.yaml; everything not
# commented is the same as mmdet's _base_/models/faster-rcnn_r50_fpn.py.
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
model = dict(
    type='FasterRCNN',
    _scope_='mmdet',
    # Detectron2: INPUT.FORMAT 'BGR', PIXEL_MEAN BGR, PIXEL_STD 1 (caffe
    # weights on 0-255 BGR input); mmdet loads images as BGR, so no swap.
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[103.530, 116.280, 123.675],
        std=[1.0, 1.0, 1.0],
        bgr_to_rgb=False,
        pad_size_divisor=32),
    # Detectron2: ResNet-101, STRIDE_IN_1X1 True (= style 'caffe'),
    # FrozenBN (= BN without grad in eval mode), FREEZE_AT 2 (stem + res2
    # = frozen_stages 1). Weights come from the converted checkpoint.
    backbone=dict(
        type='ResNet',
        depth=101,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        style='caffe',
        init_cfg=None),
    # Detectron2: FPN, 256 channels, no norm, sum fusion, nearest 2x
    # upsampling, P6 = max_pool(kernel 1, stride 2) of P5 (LastLevelMaxPool).
    neck=dict(
        type='FPN',
        in_channels=[256, 512, 1024, 2048],
        out_channels=256,
        num_outs=5),
    rpn_head=dict(
        type='RPNHead',
        in_channels=256,
        feat_channels=256,
        anchor_generator=dict(
            type='AnchorGenerator',
            scales=[8],
            ratios=[0.5, 1.0, 2.0],
            strides=[4, 8, 16, 32, 64]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[.0, .0, .0, .0],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(
            type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        # Detectron2: smooth L1 with beta 0, i.e. L1
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    roi_head=dict(
        type='StandardRoIHead',
        bbox_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(
                type='RoIAlign', output_size=7, sampling_ratio=0,
                aligned=True),
            out_channels=256,
            featmap_strides=[4, 8, 16, 32],
            finest_scale=56),
        bbox_head=dict(
            type='Shared2FCBBoxHead',
            in_channels=256,
            fc_out_channels=1024,
            roi_feat_size=7,
            num_classes=80,
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder',
                target_means=[0., 0., 0., 0.],
                target_stds=[0.1, 0.1, 0.2, 0.2]),
            reg_class_agnostic=False,
            loss_cls=dict(
                type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='L1Loss', loss_weight=1.0))),
    # Training settings (used only if the teacher were trained) equal
    # Detectron2's: RPN IoU 0.3 / 0.7, 256 anchors at 1/2 positive, top 2000
    # per level before NMS and 1000 per image after it; RoI IoU 0.5, 512 RoIs
    # at 1/4 positive, ground truth appended to the proposals.
    train_cfg=dict(
        rpn=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.7,
                neg_iou_thr=0.3,
                min_pos_iou=0.3,
                match_low_quality=True,
                ignore_iof_thr=-1),
            sampler=dict(
                type='RandomSampler',
                num=256,
                pos_fraction=0.5,
                neg_pos_ub=-1,
                add_gt_as_proposals=False),
            allowed_border=-1,
            pos_weight=-1,
            debug=False),
        rpn_proposal=dict(
            nms_pre=2000,
            max_per_img=1000,
            nms=dict(type='nms', iou_threshold=0.7),
            min_bbox_size=0),
        rcnn=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.5,
                neg_iou_thr=0.5,
                min_pos_iou=0.5,
                match_low_quality=False,
                ignore_iof_thr=-1),
            sampler=dict(
                type='RandomSampler',
                num=512,
                pos_fraction=0.25,
                neg_pos_ub=-1,
                add_gt_as_proposals=True),
            pos_weight=-1,
            debug=False)),
    test_cfg=dict(
        # Detectron2: PRE_NMS_TOPK_TEST 1000 (per level), NMS_THRESH 0.7,
        # POST_NMS_TOPK_TEST 1000 (per image), MIN_SIZE 0
        rpn=dict(
            nms_pre=1000,
            max_per_img=1000,
            nms=dict(type='nms', iou_threshold=0.7),
            min_bbox_size=0),
        # Detectron2: SCORE_THRESH_TEST 0.05, NMS_THRESH_TEST 0.5,
        # DETECTIONS_PER_IMAGE 100
        rcnn=dict(
            score_thr=0.05,
            nms=dict(type='nms', iou_threshold=0.5),
            max_per_img=100)))
