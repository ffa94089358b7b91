# KD + DOT (Zhao et al., ICCV 2023): ResNet50 -> MobileNetV1 on ImageNet-1k.
# Reported top-1: 73.09 (mdistiller README, DOT; KD 70.50).
# mdistiller configs/imagenet/r50_mv1/dot.yaml: its KD recipe (T 1, KD weight
# 0.5, CE 0.5; batch 512, lr 0.2, weight decay 1e-4, 100 epochs) with the DOT
# trainer, momentum 0.9 and delta 0.09. Besides the optimizer, only the
# model wrapper differs from the KD config: on 8 GPUs
# (tools/dist_train.sh CONFIG 8, 64 images each: the official total batch
# of 512, which mdistiller's DataParallel run also splits across its GPUs),
# TwoPassDistributedDataParallel runs DOT's two backward passes and
# averages each gradient set over the ranks (README.md).
_base_ = ['../kd/r50_mv1_imagenet.py']

optim_wrapper = dict(
    optimizer=dict(type='mmlogitkd.DOT', momentum=0.9, delta=0.09))
# DOT's two backward passes on every rank under tools/dist_train.sh (not
# used by a one-process run)
model_wrapper_cfg = dict(type='mmlogitkd.TwoPassDistributedDataParallel')
