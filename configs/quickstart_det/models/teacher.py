# Teacher of the detection quick start: Faster R-CNN with a ResNet-18 FPN on
# the 128x128 digit canvases of tools/dataset_converters/make_digits_coco.py
# (digits of 16-48 px, boxes about 8-40 px wide and 15-48 px high), in the
# papers' regime: the backbone starts from weights pretrained on the
# training digits (../pretrain/teacher_backbone.py, the stand-in for
# ImageNet weights; tools/quickstart.py --task det makes them once), and the
# parts are mmdet's Faster R-CNN FPN ones as the official DKD / SDD
# detection code uses them: an FPN and a fully connected box head
# (Shared2FCBBoxHead) without batch norm. 19.6 M parameters.
# A model file: `model` only, complete (no _base_), in mmdet's scope.
model = dict(
    type='FasterRCNN',
    _scope_='mmdet',
    # mean / std of the train images (RGB); the student uses the same
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[130., 126., 125.],
        std=[77., 85., 73.],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='ResNet',
        depth=18,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        # Every stage and batch-norm statistic trains, unlike mmdet's frozen
        # first stage and statistics (norm_eval) of an ImageNet backbone:
        # the grey digits it was pretrained on are far further from the
        # canvases than ImageNet from COCO. With them frozen the teacher
        # reached 28.4 / 49.4 bbox AP / AP50, with them training 63.1 / 88.0
        # (300 iterations, seed 0).
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        # tools/quickstart.py passes the cached file it made (its name ends
        # with the first 8 hex digits of its sha256, as OpenMMLab's
        # published checkpoints do); this path is a link to the latest one
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/quickstart_det/pretrain/'
            'teacher_backbone.pth',
            prefix='backbone.')),
    neck=dict(
        type='FPN',
        in_channels=[64, 128, 256, 512],
        out_channels=128,
        # P2-P5 (strides 4-32); no P6 on a 128 px image
        num_outs=4),
    rpn_head=dict(
        type='RPNHead',
        in_channels=128,
        feat_channels=128,
        anchor_generator=dict(
            type='AnchorGenerator',
            # 16, 32, 64, 128 px; digits are taller than wide (h / w = 1-3)
            scales=[4],
            ratios=[1.0, 2.0, 3.0],
            strides=[4, 8, 16, 32]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[.0, .0, .0, .0],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(
            type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    roi_head=dict(
        type='StandardRoIHead',
        bbox_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
            out_channels=128,
            featmap_strides=[4, 8, 16, 32]),
        bbox_head=dict(
            # mmdet's Shared2FCBBoxHead: two fully connected layers on the
            # 7x7 RoI features, shared by the classifier and the regressor
            type='Shared2FCBBoxHead',
            in_channels=128,
            # mmdet's 1024 halved: the teacher's head classifies every RoI
            # of the student five times in SD-DKD's steps
            fc_out_channels=512,
            roi_feat_size=7,
            num_classes=10,
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder',
                target_means=[0., 0., 0., 0.],
                target_stds=[0.1, 0.1, 0.2, 0.2]),
            reg_class_agnostic=False,
            loss_cls=dict(
                type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='L1Loss', loss_weight=1.0))),
    # 2-6 digits per image: far fewer samples than COCO's 256 / 512 suffice
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
                num=128,
                pos_fraction=0.5,
                neg_pos_ub=-1,
                add_gt_as_proposals=False),
            allowed_border=-1,
            pos_weight=-1,
            debug=False),
        rpn_proposal=dict(
            nms_pre=1000,
            max_per_img=300,
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
                num=64,
                pos_fraction=0.25,
                neg_pos_ub=-1,
                add_gt_as_proposals=True),
            pos_weight=-1,
            debug=False)),
    test_cfg=dict(
        rpn=dict(
            nms_pre=500,
            max_per_img=100,
            nms=dict(type='nms', iou_threshold=0.7),
            min_bbox_size=0),
        rcnn=dict(
            score_thr=0.05,
            nms=dict(type='nms', iou_threshold=0.5),
            max_per_img=20)))
