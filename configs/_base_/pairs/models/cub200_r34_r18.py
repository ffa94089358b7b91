# ResNet34 -> ResNet18 on CUB-200-2011: the distiller, its two model files and
# the teacher's weights; a method's config names its data, schedule and runtime
# beside this file.
model = dict(
    type='ClsLogitDistiller',
    student=dict(cfg_path='mmlogitkd::_base_/students/cub200_resnet18.py'),
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/cub200_resnet34.py'),
    teacher_ckpt='checkpoints/cub200/resnet34_scratch.pth')
