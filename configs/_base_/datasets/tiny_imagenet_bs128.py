# Tiny-ImageNet (200 classes, 64x64), batch 128 on one GPU (LDRLD suppl.
# sec. 2.4). Augmentation as for CIFAR in the same papers: RandomCrop(64,
# padding=4) + horizontal flip.
#
# Data layout: the official tiny-imagenet-200.zip unpacked to
# data/tiny-imagenet-200, plus the annotation files written by
#   python tools/dataset_converters/tiny_imagenet.py data/tiny-imagenet-200
# (meta/classes.txt, meta/train.txt, meta/val.txt; lines
# ``<image path relative to data_root> <label>``, val labelled from
# val/val_annotations.txt).
dataset_type = 'mmpretrain.CustomDataset'
data_root = 'data/tiny-imagenet-200'
data_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    num_classes=200,
    # RGB mean / std of the Tiny-ImageNet training set (x255), as in
    # mdistiller's tiny_imagenet loader
    mean=[122.451, 114.266, 101.363],
    std=[58.701, 57.758, 57.681],
    # images are read by OpenCV as BGR
    to_rgb=True)

train_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(type='mmpretrain.RandomCrop', crop_size=64, padding=4),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs'),
]
test_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(type='mmpretrain.PackInputs'),
]

train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='meta/train.txt',
        data_prefix='',
        classes=f'{data_root}/meta/classes.txt',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='meta/val.txt',
        data_prefix='',
        classes=f'{data_root}/meta/classes.txt',
        pipeline=test_pipeline))
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, 5))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
