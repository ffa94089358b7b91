# KD + DOT (Zhao et al., ICCV 2023): ResNet34 -> ResNet18 on ImageNet-1k.
# Reported top-1: 71.72 (mdistiller README, DOT; KD 71.03 there).
# mdistiller configs/imagenet/r34_r18/dot.yaml: its KD recipe (T 1, KD weight
# 0.5, CE 0.5; batch 512, lr 0.2, weight decay 1e-4, 100 epochs) with the DOT
# trainer, momentum 0.9 and delta 0.09. Besides the optimizer, only the
# batch differs from the KD config: DOT's two backward passes cannot run under
# a distributed wrapper (README.md), so the official total batch of 512 is
# one process's (the KD config's is 8 GPUs x 64), as mdistiller's DataParallel
# run has it.
_base_ = ['../kd/r34_r18_imagenet.py']

optim_wrapper = dict(
    optimizer=dict(type='mmlogitkd.DOT', momentum=0.9, delta=0.09))
train_dataloader = dict(batch_size=512)
