# ResNet34 -> ResNet18 on ImageNet-1k: the distiller, its two model files and
# the teacher's weights; ../imagenet_r34_r18.py adds the data, schedule and
# runtime the pair is usually trained with; a method with a recipe of its own
# names its data and schedule beside this file.
model = dict(
    type='ClsLogitDistiller',
    student=dict(cfg_path='mmlogitkd::_base_/students/imagenet_resnet18.py'),
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/imagenet_resnet34.py'),
    teacher_ckpt=('https://download.openmmlab.com/mmclassification/v0/resnet/'
                  'resnet34_8xb32_in1k_20210831-f257d4e6.pth'))
