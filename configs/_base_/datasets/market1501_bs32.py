# Market-1501 person re-identification, torchreid's default recipe
# (deep-person-reid scripts/default_config.py): 256x128 crops, random
# horizontal flip, ImageNet normalisation, batch 32 drawn at random
# (torchreid's RandomSampler; train batches are full, drop_last), evaluation
# on query vs. gallery with euclidean distances.
#
# Layout: data/market1501/Market-1501-v15.09.15/{bounding_box_train,query,
# bounding_box_test} (the unzipped public archive; the split folders directly
# in data/market1501 work too). Nothing is downloaded.
dataset_type = 'Market1501Dataset'
data_root = 'data/market1501'
data_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    num_classes=751,  # training identities
    # torchreid's norm_mean / norm_std (ImageNet) on the 0-255 scale
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    # images are loaded BGR; torchreid's networks take RGB
    to_rgb=True)

# pid, camid and is_query reach the data samples, as ReIDMetric needs
meta_keys = ('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'flip',
             'flip_direction', 'pid', 'camid', 'is_query')
train_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(type='mmpretrain.Resize', scale=(128, 256)),  # (w, h)
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(type='mmpretrain.Resize', scale=(128, 256)),
    dict(type='mmpretrain.PackInputs', meta_keys=meta_keys),
]
# torchreid's optional augmentations, off in its default recipe; insert them
# in a child config's train pipeline after RandomFlip, e.g.
# train_dataloader = dict(dataset=dict(pipeline=[..., {{_base_.random_crop}},
#                                                {{_base_.random_erasing}},
#                                                ...]))
# 'random_crop' (Random2DTranslation): with probability 0.5, enlarge to
# 1.125x (288x144) and crop 256x128 back at random.
random_crop = dict(
    type='mmpretrain.RandomApply',
    prob=0.5,
    transforms=[
        dict(type='mmpretrain.Resize', scale=(144, 288)),
        dict(type='mmpretrain.RandomCrop', crop_size=(256, 128)),
    ])
# 'random_erase' (Zhong et al.): area 2-40%, aspect 0.3-3.3, probability
# 0.5, filled with the mean colour (BGR here: before normalisation).
random_erasing = dict(
    type='mmpretrain.RandomErasing',
    erase_prob=0.5,
    min_area_ratio=0.02,
    max_area_ratio=0.4,
    aspect_range=(0.3, 1 / 0.3),
    mode='const',
    fill_color=(103.53, 116.28, 123.675))

train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    drop_last=True,
    # P x K identity batches instead (torchreid's RandomIdentitySampler,
    # for triplet-style training), in a child config: sampler=dict(
    # _delete_=True, type='RandomIdentitySampler', batch_size=32,
    # num_instances=4), batch_size equal to the loader's.
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))
# query followed by gallery; torchreid tests with batch 100
val_dataloader = dict(
    batch_size=100,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline=test_pipeline))
# CMC rank-1/5/10/20 and mAP, squared euclidean distances, no feature
# normalisation, no re-ranking (torchreid's defaults)
val_evaluator = dict(
    type='ReIDMetric', metric='euclidean', ranks=(1, 5, 10, 20))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
