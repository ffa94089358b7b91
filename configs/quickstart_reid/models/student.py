# Quick-start re-id student: the teacher's network at half its width again
# ('resnet18_x0_25': torchreid's ResNet-18 at a quarter of its width,
# stages of 16-128 channels, 0.73 M parameters), from scratch; the same 3x2
# last map. A model file: `model` only, named by `cfg_path` in _distill_.py
# and inherited by student.py.
model = dict(
    type='TorchreidClassifier', name='resnet18_x0_25', num_classes=200)
