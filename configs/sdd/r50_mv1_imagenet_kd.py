# SD-KD (Wei et al., CVPR 2024): ResNet50 -> MobileNetV1 on ImageNet-1k.
# Reported top-1 / top-5: 72.24 / 90.71 (SDD Tab. 4).
# KD inside: T 1, KD weight 0.5, CE weight 0.5; scales {1, 2, 4} (heterogeneous
# pair), complementary weight 2, 30-epoch warm-up (SDD sec. 4.1).
_base_ = [
    '../_base_/datasets/imagenet_bs64.py',
    '../_base_/schedules/imagenet_sgd_100e_bs512.py',
    '../_base_/default_runtime.py',
    '../_base_/teachers/imagenet_resnet50.py',
    '../_base_/students/imagenet_mobilenetv1.py',
]
_base_.student.head.loss.loss_weight = 0.5  # CE weight

model = dict(
    type='ClsLogitDistiller',
    student=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt,
    distill_losses=dict(
        sdd=dict(
            type='ScaleDecoupledLoss',
            loss=dict(type='KDLoss', temperature=1.0),
            scales=(1, 2, 4),
            complementary_weight=2.0,
            loss_weight=0.5)),
    # distillation weight x min(epoch / 30, 1)
    distill_warmup=dict(by_epoch=True, length=30))
