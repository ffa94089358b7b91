# LDRLD ablation (suppl. Tab. 19, teacher sweep): DKD, ResNet44 (top-1 72.32)
# -> ResNet20 on CIFAR-100.
# Reported top-1: 71.74 (LDRLD suppl. Tab. 19).
# DKD's ResNet56 -> ResNet20 config with another teacher (alpha 1, beta 2, T 4,
# 20-epoch warm-up).
# No public teacher: see _base_/teachers/cifar100_resnet44.py.
_base_ = '../../dkd/r56_r20_cifar100.py'

model = dict(
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/cifar100_resnet44.py'),
    teacher_ckpt='checkpoints/cifar100/resnet44.pth')
