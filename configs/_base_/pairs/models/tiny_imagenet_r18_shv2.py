# ResNet18 -> ShuffleNetV2 on Tiny-ImageNet: the distiller, its two model files
# and the teacher's weights; a method's config names its data, schedule and
# runtime beside this file.
model = dict(
    type='ClsLogitDistiller',
    student=dict(
        cfg_path='mmlogitkd::_base_/students/tiny_imagenet_shufflenetv2.py'),
    teacher=dict(
        cfg_path='mmlogitkd::_base_/teachers/tiny_imagenet_resnet18.py'),
    teacher_ckpt='checkpoints/tiny_imagenet/resnet18.pth')
