# DKD + DOT: ResNet32x4 -> ResNet8x4 on CIFAR-100, DOT over any distillation
# loss. No reported number: DKD's config (alpha 1, beta 8, T 4, CE 1, 20-epoch
# loss warm-up; DKD alone 76.32) with DOT's CIFAR-100 setting (momentum 0.9,
# delta 0.075) in place of SGD. The DOT optimizer takes every
# loss_distill_* term as the distillation gradient, warm-up included.
_base_ = ['../dkd/r32x4_r8x4_cifar100.py']

optim_wrapper = dict(
    optimizer=dict(type='mmlogitkd.DOT', momentum=0.9, delta=0.075))
# DOT's two backward passes on every rank under tools/dist_train.sh (not
# used by a one-process run)
model_wrapper_cfg = dict(type='mmlogitkd.TwoPassDistributedDataParallel')
