# Student: torchreid ResNet-18 for Market-1501 (751 training identities,
# 256x128 crops; an 8x4 last feature map, 512-d embedding).
# As in torchreid, training starts from ImageNet weights: the configs that
# train it set `pretrained` to torchvision's resnet18-5c106cde.pth (nothing
# is downloaded at run time).
model = dict(type='TorchreidClassifier', name='resnet18', num_classes=751)
