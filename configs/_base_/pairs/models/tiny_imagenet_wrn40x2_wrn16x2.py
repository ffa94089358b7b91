# WRN-40-2 -> WRN-16-2 on Tiny-ImageNet: the distiller, its two model files and
# the teacher's weights; a method's config names its data, schedule and runtime
# beside this file.
model = dict(
    type='ClsLogitDistiller',
    student=dict(
        cfg_path='mmlogitkd::_base_/students/tiny_imagenet_wrn_16_2.py'),
    teacher=dict(
        cfg_path='mmlogitkd::_base_/teachers/tiny_imagenet_wrn_40_2.py'),
    teacher_ckpt='checkpoints/tiny_imagenet/wrn_40_2.pth')
