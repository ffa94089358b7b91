# CUB-200-2011, the SDD (CVPR 2024) fine-grained recipe
# (SDD-CVPR2024/mdistiller/dataset/cub200.py): resize to 256x256, random
# 224 crop + horizontal flip for training, 256x256 + centre 224 crop for
# testing, ImageNet mean / std; train batch 64 (drop_last), test batch 32.
# Data: CUB_200_2011.tgz unpacked to data/CUB_200_2011 (images/, images.txt,
# image_class_labels.txt, train_test_split.txt).
dataset_type = 'mmpretrain.CUB'
data_root = 'data/CUB_200_2011'
data_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    num_classes=200,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    # images are read by OpenCV as BGR
    to_rgb=True)

train_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(type='mmpretrain.Resize', scale=(256, 256), keep_ratio=False),
    dict(type='mmpretrain.RandomCrop', crop_size=224),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs'),
]
test_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(type='mmpretrain.Resize', scale=(256, 256), keep_ratio=False),
    dict(type='mmpretrain.CenterCrop', crop_size=224),
    dict(type='mmpretrain.PackInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline=test_pipeline))
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, 5))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
