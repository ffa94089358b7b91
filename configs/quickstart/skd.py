# SKD (Jeong et al., CVPR 2026), the authors' CIFAR-100 loss setting as
# configs/skd/r32x4_r8x4_cifar100.py: its KD and direction terms at T 4,
# tikhonov 0.1, SKD weight 0.5, CE weight 0.5 (the quick start's recipe,
# the same for every method, not the authors' doubled training set).
_base_ = './_distill_.py'

model = dict(
    student=dict(head=dict(loss=dict(loss_weight=0.5))),  # CE weight
    distill_losses=dict(
        skd=dict(
            type='SKDLoss', temperature=4.0, tikhonov=0.1,
            loss_weight=0.5)))
