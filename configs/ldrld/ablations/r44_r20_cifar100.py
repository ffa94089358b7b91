# LDRLD ablation (suppl. Tab. 19, teacher sweep): ResNet44 (top-1 72.32) ->
# ResNet20 on CIFAR-100.
# Reported top-1: 72.00 (LDRLD suppl. Tab. 19).
# The ResNet56 -> ResNet20 config with another teacher: alpha 9.5, beta 1, k 7,
# T 4 (no setting is given for this pair: those of ResNet56 -> ResNet20, suppl.
# Tab. 8, also the homogeneous optimum of suppl. Tab. 11).
# No public teacher: see _base_/teachers/cifar100_resnet44.py.
_base_ = '../r56_r20_cifar100.py'

model = dict(
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/cifar100_resnet44.py'),
    teacher_ckpt='checkpoints/cifar100/resnet44.pth')
