# LDRLD ablation (suppl. Tab. 19, teacher sweep): ResNet32 (top-1 71.49) ->
# ResNet20 on CIFAR-100.
# Reported top-1: 71.45 (LDRLD suppl. Tab. 19).
# The ResNet56 -> ResNet20 config with another teacher: alpha 9.5, beta 1, k 7,
# T 4 (no setting is given for this pair: those of ResNet56 -> ResNet20, suppl.
# Tab. 8, also the homogeneous optimum of suppl. Tab. 11).
# No public teacher: see _base_/teachers/cifar100_resnet32.py.
_base_ = '../r56_r20_cifar100.py'

model = dict(
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/cifar100_resnet32.py'),
    teacher_ckpt='checkpoints/cifar100/resnet32.pth')
