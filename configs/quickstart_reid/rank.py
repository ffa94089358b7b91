# Logit ranking alignment (Lu et al., ICIC 2025), as
# configs/rank/reid_r50_r18_market1501.py: CE + lambda * L_RA, the squared
# error between the soft ranks of the student's and the teacher's identity
# logits (eps 1), lambda 10, no KL term.
_base_ = './_distill_.py'

model = dict(
    distill_losses=dict(
        rank=dict(
            type='RankAlignLoss',
            regularization_strength=1.0,
            mode='l2',
            loss_weight=10.0)))
