# CIFAR-100 with a weak and a strong view of every training image, MLKD's
# two-view pipeline (official Multi-Level-Logit-Distillation
# mdistiller/dataset/cifar100.py, get_cifar100_train_transform_strong):
# weak = RandomCrop(32, padding=4) + horizontal flip; strong = the same,
# drawn independently, then FixMatch's RandAugment(2, 10) with cutout.
# mmpretrain's MultiView makes the two views, StackViews stacks them on the
# height axis ([64, 32, 3], weak on top) and records num_views, which
# MultiViewClsDistiller checks before splitting the batch back into views.
# Validation and test are the single-view pipeline of cifar100_bs64.py.
_base_ = './cifar100_bs64.py'

weak_view = [
    dict(type='mmpretrain.RandomCrop', crop_size=32, padding=4),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
]
strong_view = weak_view + [
    dict(type='mmlogitkd.FixMatchRandAugment', num_ops=2)
]
train_pipeline = [
    dict(type='mmpretrain.MultiView',
         num_views=[1, 1],
         transforms=[weak_view, strong_view]),
    dict(type='mmlogitkd.StackViews'),
    dict(type='mmpretrain.PackInputs',
         meta_keys=('sample_idx', 'img_path', 'ori_shape', 'img_shape',
                    'num_views')),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
