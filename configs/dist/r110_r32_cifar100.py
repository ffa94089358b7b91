# DIST (Huang et al., NeurIPS 2022): ResNet110 -> ResNet32 on CIFAR-100.
# Reported top-1: 73.69 (TTM official README: the TTM authors' run of the DIST
# code, a pair the DIST paper does not report).
# Official CIFAR-100 settings (hunto/image_classification_sota,
# configs/strategies/distill/dist_cifar.yaml): kd 'dist_t4', i.e. T 4, beta =
# gamma = 1, kd_loss_weight 2, CE weight 1; batch 64, 240 epochs, lr 0.05, /10
# at 150, 180, 210 (its 120-epoch constant "warm-up" then 30-epoch steps): the
# pair's recipe.
_base_ = ['../_base_/pairs/cifar100_r110_r32.py']

model = dict(
    distill_losses=dict(
        dist=dict(
            type='DISTLoss',
            beta=1.0,
            gamma=1.0,
            temperature=4.0,
            loss_weight=2.0)))
