# ResNet32x4 -> MobileNetV2 on CUB-200-2011: the distiller, its two model files
# and the teacher's weights; ../cub200_r32x4_mv2.py adds the data, schedule and
# runtime the pair is usually trained with; a method with a recipe of its own
# names its data and schedule beside this file.
model = dict(
    type='ClsLogitDistiller',
    student=dict(cfg_path='mmlogitkd::_base_/students/cub200_mobilenetv2.py'),
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/cub200_resnet32x4.py'),
    teacher_ckpt='checkpoints/cub200/resnet32x4.pth')
