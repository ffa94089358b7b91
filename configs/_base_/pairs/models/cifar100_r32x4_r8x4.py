# ResNet32x4 -> ResNet8x4 on CIFAR-100: the distiller, its two model files and
# the teacher's weights; ../cifar100_r32x4_r8x4.py adds the data, schedule and
# runtime the pair is usually trained with; a method with a recipe of its own
# names its data and schedule beside this file.
model = dict(
    type='ClsLogitDistiller',
    student=dict(cfg_path='mmlogitkd::_base_/students/cifar100_resnet8x4.py'),
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/cifar100_resnet32x4.py'),
    teacher_ckpt='checkpoints/cifar100/resnet32x4.pth')
