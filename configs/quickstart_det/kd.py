# KD on the student's RoIs, the papers' detection setting exactly as
# configs/kd/frcnn_r101_r18_coco.py: T 1, weight 1.
_base_ = './_distill_.py'

model = dict(
    distill_losses=dict(
        kd=dict(type='KDLoss', temperature=1.0, loss_weight=1.0)))
