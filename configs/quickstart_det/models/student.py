# Student of the detection quick start: the teacher's Faster R-CNN
# (./teacher.py) made smaller: a ResNet-18 at half the width (stem and
# stages of 32-256 channels), an FPN of 64 channels and a fully connected
# box head of 512 (Shared2FCBBoxHead, no batch norm); 4.6 M parameters
# against the teacher's 19.6 M. Its backbone starts, as the papers'
# students do from ImageNet weights, from weights pretrained on the
# training digits (../pretrain/student_backbone.py). The same
# data_preprocessor, anchors, samplers, RoI size (7) and 10 classes as the
# teacher, so that both box heads classify the same RoIs alike.
# (A quarter-width student, 1.8 M parameters, reached only 21.7 / 39.0
# bbox AP / AP50 alone, against the teacher's 76.4 / 96.7: a gap far wider
# than the papers' R-18 students (33-35 AP) and R-101 teacher (42).)
_base_ = './teacher.py'

model = dict(
    backbone=dict(
        base_channels=32,
        init_cfg=dict(
            checkpoint='work_dirs/quickstart_det/pretrain/'
            'student_backbone.pth')),
    neck=dict(in_channels=[32, 64, 128, 256], out_channels=64),
    rpn_head=dict(in_channels=64, feat_channels=64),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=64),
        bbox_head=dict(in_channels=64, fc_out_channels=512)),
    # half the teacher's RoIs per image (32, up to 8 positives) and
    # proposals: the RoI work dominates the distillation steps on CPU
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=300, max_per_img=150),
        rcnn=dict(sampler=dict(num=32))))
