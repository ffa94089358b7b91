# NKD: VGG13 -> MobileNetV2 on CUB-200-2011.
# Reported top-1: 58.40 (SDD Tab. 5, LDRLD suppl. Tab. 22).
# T 1, gamma 1.5, CE 1, 20-epoch warm-up (NKD baseline of the SDD code).
_base_ = [
    '../_base_/datasets/cub200_bs64.py',
    '../_base_/schedules/cub200_sgd_240e_lr0.01.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ClsLogitDistiller',
    student=dict(cfg_path='mmlogitkd::_base_/students/cub200_mobilenetv2.py'),
    teacher=dict(cfg_path='mmlogitkd::_base_/teachers/cub200_vgg13.py'),
    teacher_ckpt='checkpoints/cub200/vgg13.pth',
    distill_losses=dict(
        nkd=dict(type='NKDLoss', temperature=1.0, gamma=1.5)),
    # distillation weight x min(epoch / 20, 1)
    distill_warmup=dict(by_epoch=True, length=20))
