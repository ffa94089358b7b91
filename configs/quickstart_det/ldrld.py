# LDRLD on the student's RoIs: T 1, alpha 1, beta 0.25, k 5 of the 11
# classes (10 digits + background; configs/ldrld/frcnn_* use k 7 of 81).
_base_ = './_distill_.py'

model = dict(
    distill_losses=dict(
        ldrld=dict(
            type='LDRLDLoss', alpha=1.0, beta=0.25, k=5, temperature=1.0)))
