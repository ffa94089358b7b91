# VGG13 -> MobileNetV2 on CIFAR-100: the distiller, its two model files and the
# teacher's weights; ../cifar100_vgg13_mv2.py adds the data, schedule and
# runtime the pair is usually trained with; a method with a recipe of its own
# names its data and schedule beside this file.
model = dict(
    type='ClsLogitDistiller',
    student=dict(
        cfg_path='mmlogitkd::_base_/students/cifar100_mobilenetv2.py'),
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/cifar100_vgg13.py'),
    teacher_ckpt='checkpoints/cifar100/vgg13.pth')
