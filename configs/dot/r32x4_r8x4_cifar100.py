# KD + DOT (Zhao et al., ICCV 2023): ResNet32x4 -> ResNet8x4 on CIFAR-100.
# Reported top-1: 75.12 (mdistiller README, DOT; KD 73.33).
# mdistiller configs/cifar100/dot/res32x4_res8x4.yaml: its KD recipe (T 4, KD
# weight 0.9, CE 0.1; batch 64, lr 0.05, weight decay 5e-4, 240 epochs) with
# the DOT trainer, momentum 0.9 and delta 0.075. Only the optimizer differs
# from the KD config.
_base_ = ['../kd/r32x4_r8x4_cifar100.py']

optim_wrapper = dict(
    optimizer=dict(type='mmlogitkd.DOT', momentum=0.9, delta=0.075))
# DOT's two backward passes on every rank under tools/dist_train.sh (not
# used by a one-process run)
model_wrapper_cfg = dict(type='mmlogitkd.TwoPassDistributedDataParallel')
