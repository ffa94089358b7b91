# The detection quick start's teacher trained alone (Faster R-CNN R-18 FPN,
# its backbone pretrained on the training digits).
#   python tools/dataset_converters/make_digits_coco.py \
#       work_dirs/quickstart_det/data
#   python tools/train.py configs/quickstart_det/pretrain/teacher_backbone.py \
#       --work-dir work_dirs/quickstart_det/pretrain/teacher_backbone
#   python tools/train.py configs/quickstart_det/teacher.py \
#       --work-dir work_dirs/qdet_teacher --cfg-options \
#       model.backbone.init_cfg.checkpoint=<the pretraining's checkpoint>
# (tools/quickstart.py --task det does all of it, once.)
_base_ = ['./_base_.py', './models/teacher.py']

# The teacher's own recipe, as the papers' teachers are trained apart and
# converged (their R-101: a 3x schedule): 800 iterations (6.4 epochs), lr
# 0.02 after 50 iterations of warm-up (stable without clipping here).
train_cfg = dict(max_iters=800, val_interval=800)
default_hooks = dict(checkpoint=dict(interval=800))
optim_wrapper = dict(optimizer=dict(lr=0.02))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, eta_min=2e-4)
]
