# DKD on the student's RoIs, the official detection setting exactly as
# configs/dkd/frcnn_r101_r18_coco.py: alpha 1, beta 0.25, T 1.
_base_ = './_distill_.py'

model = dict(
    distill_losses=dict(
        dkd=dict(type='DKDLoss', alpha=1.0, beta=0.25, temperature=1.0)))
