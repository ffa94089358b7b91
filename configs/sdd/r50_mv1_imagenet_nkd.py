# SD-NKD (Wei et al., CVPR 2024): ResNet50 -> MobileNetV1 on ImageNet-1k.
# Reported top-1 / top-5: 73.12 / 91.11 (SDD Tab. 4).
# NKD inside: T 1, gamma 1.5, CE 1; scales {1, 2, 4} (heterogeneous pair),
# complementary weight 2, 30-epoch warm-up (SDD sec. 4.1).
_base_ = [
    '../_base_/datasets/imagenet_bs64.py',
    '../_base_/schedules/imagenet_sgd_100e_bs512.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ClsLogitDistiller',
    student=dict(
        cfg_path='mmlogitkd::_base_/students/imagenet_mobilenetv1.py'),
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/imagenet_resnet50.py'),
    teacher_ckpt=('https://download.openmmlab.com/mmclassification/v0/resnet/'
                  'resnet50_8xb32_in1k_20210831-ea4938fc.pth'),
    distill_losses=dict(
        sdd=dict(
            type='ScaleDecoupledLoss',
            loss=dict(type='NKDLoss', temperature=1.0, gamma=1.5),
            complementary_weight=2.0)),
    sdd_scales=(1, 2, 4),  # cell grids of ScaleDecoupledLoss
    # distillation weight x min(epoch / 30, 1)
    distill_warmup=dict(by_epoch=True, length=30))
