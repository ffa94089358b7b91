# Detection quick start on real data that ships inside scikit-learn: its
# handwritten digits pasted at random sizes (16-48 px) and places, 1-4 per
# image, on 128x128 textured canvases of random colours, in COCO format
# (mmlogitkd/datasets/digits_coco.py; train and val digits come from
# disjoint halves of the 1,797 digits). Make the data first:
#   python tools/dataset_converters/make_digits_coco.py \
#       work_dirs/quickstart_det/data
# (1,000 train images / 2,480 digits, 200 val images / 493 digits, ~40 MB).
#
# Shared data, schedule and runtime of the runs; the model comes from
# models/teacher.py or models/student.py (see teacher.py, student.py).
# mmdet's own parts throughout, in mmdet's scope.
#
# bbox AP / AP50 on val after this schedule (seed 0, CPU, 2 cores):
#   teacher alone:   TBD
#   student alone:   TBD
_base_ = ['mmdet::_base_/default_runtime.py']
default_scope = 'mmdet'

# ------------------------------------------------------------------ data
dataset_type = 'CocoDataset'
data_root = 'work_dirs/quickstart_det/data/'
# COCO category names '0'..'9' (ids 1..10) of the annotation files
metainfo = dict(classes=('0', '1', '2', '3', '4', '5', '6', '7', '8', '9'))
img_scale = (128, 128)  # the canvas: Resize keeps it as it is
backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    # mirrored digits are still fine for a toy detector
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor')),
]

train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/instances_train2017.json',
        data_prefix=dict(img='train2017/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=4),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/instances_val2017.json',
        data_prefix=dict(img='val2017/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='CocoMetric',
    ann_file=data_root + 'annotations/instances_val2017.json',
    metric='bbox',
    format_only=False,
    backend_args=backend_args)
test_evaluator = val_evaluator

# -------------------------------------------------------------- schedule
# Iterations, not epochs, so that the CPU budget is explicit; validation
# runs once, at the end.
max_iters = 300
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4),
    # from scratch, the first RPN / RoI losses can be large
    clip_grad=dict(max_norm=10, norm_type=2))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
        end=50),
    dict(
        type='CosineAnnealingLR',
        by_epoch=False,
        begin=50,
        end=max_iters,
        T_max=max_iters - 50,
        eta_min=2e-4)
]

# --------------------------------------------------------------- runtime
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=max_iters,
        save_last=True,
        max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
