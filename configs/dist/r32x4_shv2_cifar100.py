# DIST (Huang et al., NeurIPS 2022): ResNet32x4 -> ShuffleNetV2 on CIFAR-100.
# Reported top-1: 77.35 +- 0.25 (DIST official README); also in the TTM
# official README.
# Official CIFAR-100 settings (hunto/image_classification_sota,
# configs/strategies/distill/dist_cifar.yaml): kd 'dist_t4', i.e. T 4, beta =
# gamma = 1, kd_loss_weight 2, CE weight 1; batch 64, 240 epochs, lr 0.01, /10
# at 150, 180, 210 (its 120-epoch constant "warm-up" then 30-epoch steps): the
# pair's recipe.
_base_ = ['../_base_/pairs/cifar100_r32x4_shv2.py']

model = dict(
    distill_losses=dict(
        dist=dict(
            type='DISTLoss',
            beta=1.0,
            gamma=1.0,
            temperature=4.0,
            loss_weight=2.0)))
