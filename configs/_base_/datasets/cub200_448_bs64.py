# CUB-200-2011 at 448x448, for logit standardization's CUB runs (LS suppl.
# sec. 3.6: "the patch size is 448"): cub200_bs64.py (SDD's recipe) with every
# size doubled: resize to 512x512, random 448 crop + horizontal flip for
# training, 512x512 + centre 448 crop for testing.
_base_ = './cub200_bs64.py'

train_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(type='mmpretrain.Resize', scale=(512, 512), keep_ratio=False),
    dict(type='mmpretrain.RandomCrop', crop_size=448),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs'),
]
test_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(type='mmpretrain.Resize', scale=(512, 512), keep_ratio=False),
    dict(type='mmpretrain.CenterCrop', crop_size=448),
    dict(type='mmpretrain.PackInputs'),
]

train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
