# Quick start on real data that ships inside scikit-learn: its 1,797
# handwritten digits (8x8 grey, 10 classes), resized to 16x16. Labelled data
# is made scarce (20 training images per class, 200 in all); half of every
# class (898 images) is the test set. See tools/quickstart.py.
#
# Shared by every run: data, schedule and runtime. The two models are model
# files, models/teacher.py and models/student.py (each defines `model` only,
# with its data_preprocessor): teacher.py and student.py inherit one, the
# distillation runs name both with `cfg_path` (_distill_.py). All runs get
# the same short budget (40 epochs, 280 iterations).
#
# Test top-1 (%) of tools/quickstart.py with its earlier --seed 0 / 1 / 2
# (which reseeded the teacher too; 0 is the default; the student alone
# varies most from seed to seed):
#   teacher alone 97.10 / 96.66 / 97.44, student alone 68.26 / 83.85 / 85.19,
#   KD 88.75 / 90.87 / 91.31, DKD 91.09 / 86.19 / 86.64,
#   LDRLD 92.32 / 91.54 / 91.54, SDD 92.76 / 91.87 / 92.09,
#   LS 87.42 / 92.54 / 89.31, rank 89.87 / 89.87 / 87.86.
default_scope = 'mmlogitkd'
# registers DigitsDataset (also done by register_all_modules)
custom_imports = dict(
    imports=['mmlogitkd.datasets.digits'], allow_failed_imports=False)

# ------------------------------------------------------------------ data
img_size = 16
dataset_type = 'DigitsDataset'
digits = dict(type=dataset_type, test_ratio=0.5, seed=0, img_size=img_size)
train_pipeline = [
    dict(type='mmpretrain.RandomCrop', crop_size=img_size, padding=2),
    dict(type='mmpretrain.PackInputs'),
]
test_pipeline = [dict(type='mmpretrain.PackInputs')]

train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    dataset=dict(
        **digits, split='train', train_per_class=20, pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=256,
    num_workers=0,
    dataset=dict(**digits, split='test', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_evaluator = val_evaluator

# -------------------------------------------------------------- schedule
# Validation (on the test split) runs once, after the last epoch.
train_cfg = dict(by_epoch=True, max_epochs=40, val_interval=1000)
val_cfg = dict()
test_cfg = dict()
optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True))
# Cosine decay per iteration over the whole run (`end` = max_epochs).
param_scheduler = dict(
    type='CosineAnnealingLR', by_epoch=True, convert_to_iter_based=True)

# --------------------------------------------------------------- runtime
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    # one line per epoch (7 iterations)
    logger=dict(type='LoggerHook', interval=10),
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
visualizer = dict(
    type='mmpretrain.UniversalVisualizer', vis_backends=vis_backends)
log_processor = dict(by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=True)
