# SD-DKD (Wei et al., CVPR 2024): ResNet34 -> ResNet18 on ImageNet-1k.
# Reported top-1 / top-5: 72.02 / 91.21 (SDD Tab. 3).
# DKD inside: alpha 1, beta 0.5, T 1, CE 1; scales {1, 2} (homogeneous pair),
# complementary weight 2, 30-epoch warm-up (SDD sec. 4.1).
_base_ = [
    '../_base_/datasets/imagenet_bs64.py',
    '../_base_/schedules/imagenet_sgd_100e_bs512.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ClsLogitDistiller',
    student=dict(cfg_path='mmlogitkd::_base_/students/imagenet_resnet18.py'),
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/imagenet_resnet34.py'),
    teacher_ckpt=('https://download.openmmlab.com/mmclassification/v0/resnet/'
                  'resnet34_8xb32_in1k_20210831-f257d4e6.pth'),
    distill_losses=dict(
        sdd=dict(
            type='ScaleDecoupledLoss',
            loss=dict(
                type='DKDLoss', alpha=1.0, beta=0.5, temperature=1.0),
            complementary_weight=2.0)),
    sdd_scales=(1, 2),  # cell grids of ScaleDecoupledLoss
    # distillation weight x min(epoch / 30, 1)
    distill_warmup=dict(by_epoch=True, length=30))
