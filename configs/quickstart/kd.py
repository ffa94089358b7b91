# KD (Hinton et al., 2015), mdistiller's recipe: T 4, KD weight 0.9, CE 0.1.
_base_ = './_distill_.py'

model = dict(
    student=dict(head=dict(loss=dict(loss_weight=0.1))),  # CE weight
    distill_losses=dict(
        kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9)))
