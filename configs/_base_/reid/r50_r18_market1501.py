# The re-id pair of LDRLD suppl. sec. 2.4: a torchreid ResNet-50 teacher and
# a ResNet-18 student on Market-1501, trained with torchreid's Market-1501
# recipe (Adam lr 3e-4, wd 5e-4, 60 epochs, x0.1 every 20, batch 32,
# 256x128, flip, label smoothing 0.1). The student starts from torchvision's
# ImageNet ResNet-18; the teacher is trained with
# configs/reid/resnet50_market1501.py (or is a torchreid checkpoint, which
# loads as it is). Each method's config adds `model.distill_losses`.
_base_ = [
    '../datasets/market1501_bs32.py',
    '../schedules/market1501_adam_60e.py',
    '../default_runtime.py',
]

model = dict(
    type='ReIDLogitDistiller',
    student=dict(
        cfg_path='mmlogitkd::_base_/models/reid_resnet18_market1501.py',
        pretrained='checkpoints/imagenet/resnet18-5c106cde.pth'),
    teacher=dict(
        cfg_path='mmlogitkd::_base_/models/reid_resnet50_market1501.py'),
    teacher_ckpt='checkpoints/market1501/resnet50_market1501.pth')
optim_wrapper = dict(constructor='DistillOptimWrapperConstructor')
