# Quick-start re-id teacher: torchreid's ResNet-18 at half its width
# ('resnet18_x0_5', mmlogitkd/models/reid/narrow_resnet.py: stages of 32-256
# channels, last stride 1, 2.9 M parameters), from scratch, for the 200
# training identities of the digits set (make_digits_market1501's
# defaults); a 3x2 last feature map at 48x24. A model file: `model` only,
# named by `cfg_path` in _distill_.py and inherited by teacher.py.
model = dict(
    type='TorchreidClassifier', name='resnet18_x0_5', num_classes=200)
