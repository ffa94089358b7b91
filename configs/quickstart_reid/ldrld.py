# LDRLD (ICCV 2025) on the identity logits, as
# configs/ldrld/reid_r50_r18_market1501.py: alpha 7, beta 0.025, k 7, T 2,
# CE 1, no warm-up.
_base_ = './_distill_.py'

model = dict(
    distill_losses=dict(
        ldrld=dict(
            type='LDRLDLoss', alpha=7.0, beta=0.025, k=7, temperature=2.0)))
