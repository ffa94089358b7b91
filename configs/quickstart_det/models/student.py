# Student of the detection quick start: the teacher's Faster R-CNN
# (./teacher.py) made much smaller: a ResNet-18 at a quarter of the width
# (base_channels=16: stages of 16-128 channels), FPN of 64 channels, box head
# convs of 32 and fc of 256 (1.35 M parameters instead of 13.8 M). The same
# data_preprocessor, anchors, samplers, RoI size (7) and 10 classes as the
# teacher, so that both box heads classify the same RoIs alike. Trained from
# scratch (init_cfg=None).
_base_ = './teacher.py'

model = dict(
    backbone=dict(base_channels=16),
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=64),
    rpn_head=dict(in_channels=64, feat_channels=64),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=64),
        bbox_head=dict(
            in_channels=64, conv_out_channels=32, fc_out_channels=256)))
