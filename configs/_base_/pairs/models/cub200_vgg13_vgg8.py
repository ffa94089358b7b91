# VGG13 -> VGG8 on CUB-200-2011: the distiller, its two model files and the
# teacher's weights; ../cub200_vgg13_vgg8.py adds the data, schedule and
# runtime the pair is usually trained with; a method with a recipe of its own
# names its data and schedule beside this file.
model = dict(
    type='ClsLogitDistiller',
    student=dict(cfg_path='mmlogitkd::_base_/students/cub200_vgg8.py'),
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/cub200_vgg13.py'),
    teacher_ckpt='checkpoints/cub200/vgg13.pth')
