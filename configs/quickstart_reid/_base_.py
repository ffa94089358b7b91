# Re-identification quick start on real images that ship inside
# scikit-learn: each identity is one of its handwritten digit samples (one
# row of load_digits(), never a class), seen by 2-4 of 6 cameras, each
# camera with its own imaging style (colours, lighting, blur, contrast,
# noise, framing), in the Market-1501 layout (bounding_box_train/, query/,
# bounding_box_test/ with 0000 distractors and -1 junk;
# mmlogitkd/datasets/digits_market1501.py). Training and test identities
# are disjoint (open set); queries are matched against the gallery images
# of other cameras (ReIDMetric, Market-1501's protocol). Make the data
# first (tools/quickstart.py --task reid does):
#   python -c "from mmlogitkd.datasets import make_digits_market1501; \
#       make_digits_market1501('work_dirs/quickstart_reid/data')"
#
# Shared by every run: data, schedule and runtime, torchreid's Market-1501
# recipe (configs/_base_/datasets/market1501_bs32.py) at the digits' size.
# The two models are model files, models/teacher.py and models/student.py
# (torchreid networks as TorchreidClassifier, `model` only): teacher.py and
# student.py inherit one, the distillation runs name both with `cfg_path`
# (_distill_.py).
default_scope = 'mmlogitkd'

# ------------------------------------------------------------------ data
dataset_type = 'Market1501Dataset'
# tools/quickstart.py --task reid passes the real path with --cfg-options
data_root = 'work_dirs/quickstart_reid/data'
# pid, camid and is_query reach the data samples, as ReIDMetric needs
meta_keys = ('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'pid',
             'camid', 'is_query')
# The crops are written at the networks' input size (48x24, as the
# archive's 128x64 crops are resized to 256x128): no Resize. No RandomFlip
# either (torchreid's recipe flips people): a mirrored digit is another
# shape, which no test image shows.
train_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(type='mmpretrain.PackInputs', meta_keys=meta_keys),
]
test_pipeline = train_pipeline

train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    # full batches, as torchreid's
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))
# query followed by gallery
val_dataloader = dict(
    batch_size=128,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# CMC rank-1/5 and mAP, squared euclidean distances (torchreid's defaults)
val_evaluator = dict(type='ReIDMetric', metric='euclidean', ranks=(1, 5))
test_evaluator = val_evaluator

# -------------------------------------------------------------- schedule
# Validation (query vs gallery) runs once, after the last epoch. 12 epochs
# of 20 batches: the students' 240 steps, each run well under a minute on
# one CPU core; the teacher gets 30 (teacher.py).
train_cfg = dict(by_epoch=True, max_epochs=12, val_interval=1000)
val_cfg = dict()
test_cfg = dict()
# torchreid's Adam (weight decay 5e-4) at lr 2e-3 for batch 64 from
# scratch (its 3e-4 for batch 32 is for ImageNet-initialised networks)
optim_wrapper = dict(
    optimizer=dict(
        type='Adam', lr=2e-3, betas=(0.9, 0.999), weight_decay=5e-4))
# Cosine decay per iteration over the whole run (`end` = max_epochs).
param_scheduler = dict(
    type='CosineAnnealingLR', by_epoch=True, convert_to_iter_based=True)

# --------------------------------------------------------------- runtime
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=-1, save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))
# The metrics land in <work_dir>/<timestamp>/vis_data/scalars.json, where
# tools/quickstart.py reads them.
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)
log_processor = dict(by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=True)
