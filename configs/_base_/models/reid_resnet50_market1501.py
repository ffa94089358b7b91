# Teacher: torchreid ResNet-50 for Market-1501 (751 training identities,
# 256x128 crops; an 8x4 last feature map, 2048-d embedding).
# Its weights (`teacher_ckpt` of the distillation configs,
# checkpoints/market1501/resnet50_market1501.pth) come from either
# - `python tools/train.py configs/reid/resnet50_market1501.py` (torchreid's
#   recipe from ImageNet weights), then its best checkpoint; or
# - a checkpoint of torchreid itself (scripts/main.py with model.name
#   resnet50 on market1501: log/.../model/model.pth.tar-60), used as it is:
#   parameter names are torchreid's.
model = dict(type='TorchreidClassifier', name='resnet50', num_classes=751)
