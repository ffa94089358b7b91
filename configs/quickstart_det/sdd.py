# SD-DKD as GL-DKD, the official detection variant: DKD (alpha 1, beta 0.25,
# T 2) on the 5 polyphase RoI views through each box head, plain mean over
# the views, an infinite view skipped: exactly as
# configs/sdd/frcnn_r101_r18_coco.py.
_base_ = './_distill_.py'

model = dict(
    distill_losses=dict(
        sdd=dict(
            type='ScaleDecoupledLoss',
            loss=dict(
                type='DKDLoss', alpha=1.0, beta=0.25, temperature=2.0),
            complementary_weight=1.0,
            skip_nonfinite_views=True)))
