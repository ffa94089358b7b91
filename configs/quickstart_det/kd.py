# KD on the student's RoIs: T 1, weight 1 (as configs/kd/frcnn_*).
_base_ = './_distill_.py'

model = dict(
    distill_losses=dict(kd=dict(type='KDLoss', temperature=1.0)))
