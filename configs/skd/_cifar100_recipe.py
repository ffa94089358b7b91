# The SKD authors' CIFAR-100 recipe (HyunJunSik/StreamLined,
# CIFAR-100/Utils/distillation_train.py), the same for every student: batch
# 64, 240 epochs, lr 0.1, /10 at 150, 180, 210, weight decay 5e-4; and the
# training data of its train.py (load_dataset): the training set twice per
# epoch, one copy with RandomCrop(32, padding=4) + horizontal flip, the other
# with FixMatch's RandAugment(2, 10) and cutout added (the same operations as
# mmlogitkd.FixMatchRandAugment), concatenated and shuffled together: 100,000
# samples an epoch. Validation and test: ../_base_/datasets/cifar100_bs64.py.
# Not a runnable config (the leading underscore): a method config inherits it
# beside its pair's models (../_base_/pairs/models/).
_base_ = [
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e_lr0.1.py',
    '../_base_/default_runtime.py',
]

plain_pipeline = [
    dict(type='mmpretrain.RandomCrop', crop_size=32, padding=4),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs'),
]
randaugment_pipeline = [
    dict(type='mmpretrain.RandomCrop', crop_size=32, padding=4),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmlogitkd.FixMatchRandAugment', num_ops=2),
    dict(type='mmpretrain.PackInputs'),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[
            dict(
                type='mmpretrain.CIFAR100',
                data_root='data/cifar100',
                split='train',
                pipeline=plain_pipeline),
            dict(
                type='mmpretrain.CIFAR100',
                data_root='data/cifar100',
                split='train',
                pipeline=randaugment_pipeline),
        ]))
