# MLKD + logit standardization (seed 002): VGG13 -> VGG8 on
# CIFAR-100. Reported top-1: 75.22 (LS official README).
# LS's MLKD code (--logit-stand --base-temp 2 --kd-weight 6): temperatures
# (2, 3, 5, 2, 6), Z-score on the instance-level terms, MLKD weight 6,
# CE weight 0.1 on each view; weak + strong views, 480 epochs.
# Weight 6, not 9: the official log of this run is named '...,2,6.txt'.
_base_ = [
    '../_base_/datasets/cifar100_bs64_weak_strong.py',
    '../_base_/schedules/cifar100_sgd_480e_lr0.01.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='MultiViewClsDistiller',
    student=dict(
        cfg_path='mmlogitkd::_base_/students/cifar100_vgg8.py',
        head=dict(loss=dict(loss_weight=0.1))),  # CE weight
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/cifar100_vgg13.py'),
    teacher_ckpt='checkpoints/cifar100/vgg13.pth',
    distill_losses=dict(
        mlkd=dict(
            type='MLKDLoss',
            temperatures=(2., 3., 5., 2., 6.),
            strong_temperatures=(2., 3., 5.),
            extra_weak_temperatures=(2., 6.),
            standardize=True,
            loss_weight=6.0)),
    distill_warmup=None,
    num_views=2)
