# SDD (Wei et al., CVPR 2024) over KD, as
# configs/sdd/reid_r50_r18_market1501.py: KD (T 1, KD weight 0.5, CE weight
# 0.5) on the global identity logits and on the 2x2 cells of the 3x2 last
# feature map (scales 1, 2: a homogeneous pair), complementary cells
# weighted 2, ramped up over the first half of the run (30 of 60 epochs
# there, 6 of 12 here).
_base_ = './_distill_.py'

model = dict(
    student=dict(loss_weight=0.5),  # CE weight
    distill_losses=dict(
        sdd=dict(
            type='ScaleDecoupledLoss',
            loss=dict(type='KDLoss', temperature=1.0),
            complementary_weight=2.0,
            loss_weight=0.5)),
    sdd_scales=(1, 2),  # cell grids of ScaleDecoupledLoss
    distill_warmup=dict(length=6, by_epoch=True))
