# WRN-40-2 -> VGG8 on CIFAR-100: the distiller, its two model files and the
# teacher's weights; ../cifar100_wrn40x2_vgg8.py adds the data, schedule and
# runtime the pair is usually trained with; a method with a recipe of its own
# names its data and schedule beside this file.
model = dict(
    type='ClsLogitDistiller',
    student=dict(cfg_path='mmlogitkd::_base_/students/cifar100_vgg8.py'),
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/cifar100_wrn_40_2.py'),
    teacher_ckpt='checkpoints/cifar100/wrn_40_2.pth')
