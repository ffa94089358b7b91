# LDRLD on the student's RoIs, exactly as configs/ldrld/frcnn_r101_r18_coco.py:
# T 1, alpha 1, beta 0.25, k 7 (there of COCO's 81 classes, here of the 11:
# 10 digits + background; the same k as every LDRLD config).
_base_ = './_distill_.py'

model = dict(
    distill_losses=dict(
        ldrld=dict(
            type='LDRLDLoss', alpha=1.0, beta=0.25, k=7, temperature=1.0)))
