# SDD (Wei et al., CVPR 2024) over KD: KD (T 4, weight 0.9, CE 0.1) on the
# global logits and on the 2x2 cells of the last feature map (scales 1, 2,
# as for the paper's similar-architecture pairs), complementary cells
# weighted 2, ramped up over the first epochs (30 of 240 in the paper, 5 of
# 40 here).
_base_ = './_distill_.py'

model = dict(
    student=dict(head=dict(loss=dict(loss_weight=0.1))),  # CE weight
    distill_losses=dict(
        sdd=dict(
            type='ScaleDecoupledLoss',
            loss=dict(type='KDLoss', temperature=4.0),
            complementary_weight=2.0,
            loss_weight=0.9)),
    sdd_scales=(1, 2),  # cell grids of ScaleDecoupledLoss
    distill_warmup=dict(length=5, by_epoch=True))
