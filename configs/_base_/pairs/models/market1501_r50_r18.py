# The re-id pair of LDRLD suppl. sec. 2.4 on Market-1501: the distiller, a
# torchreid ResNet-50 teacher and a ResNet-18 student, and their weights. The
# student starts from torchvision's ImageNet ResNet-18; the teacher is trained
# with configs/reid/resnet50_market1501.py (or is a torchreid checkpoint,
# which loads as it is). ../market1501_r50_r18.py adds the data, schedule and
# runtime.
model = dict(
    type='ReIDLogitDistiller',
    student=dict(
        cfg_path='mmlogitkd::_base_/models/reid_resnet18_market1501.py',
        pretrained='checkpoints/imagenet/resnet18-5c106cde.pth'),
    teacher=dict(
        cfg_path='mmlogitkd::_base_/models/reid_resnet50_market1501.py'),
    teacher_ckpt='checkpoints/market1501/resnet50_market1501.pth')
