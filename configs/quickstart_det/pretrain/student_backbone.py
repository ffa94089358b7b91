# The student's backbone (ResNet-18 at half the width: stem and stages of
# 32-256 channels) pretrained on the training digits; see ./_base_.py and
# ./teacher_backbone.py.
_base_ = ['./teacher_backbone.py']

model = dict(
    backbone=dict(stem_channels=32, base_channels=32),
    head=dict(in_channels=256))
