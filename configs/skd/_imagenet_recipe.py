# The SKD authors' ImageNet recipe (HyunJunSik/StreamLined,
# ImageNet/Utils/distillation_train.py): batch 64 on one GPU, lr 0.1, /10 at
# 30, 60, 90, weight decay 1e-4. On 8 GPUs (batch 512) add --auto-scale-lr to
# keep the authors' lr per image. Not a runnable config (the leading
# underscore): a method config inherits it beside its pair's models
# (../_base_/pairs/models/).
_base_ = [
    '../_base_/datasets/imagenet_bs64.py',
    '../_base_/schedules/imagenet_sgd_100e_bs64_lr0.1.py',
    '../_base_/default_runtime.py',
]
