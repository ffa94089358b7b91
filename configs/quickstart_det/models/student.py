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
            in_channels=64, conv_out_channels=32, fc_out_channels=256)),
    # half the teacher's RoIs per image (32, up to 8 positives) and
    # proposals: the RoI work dominates the distillation steps on CPU
    # (GL-DKD's five views of every RoI through both box heads: 1.33 -> 0.76
    # s/iteration; the student alone 0.33 -> 0.25, quiet 2-core machine)
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=300, max_per_img=150),
        rcnn=dict(sampler=dict(num=32))))
