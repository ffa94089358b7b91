# TTM (Zheng and Yang, ICLR 2024): ResNet32x4 -> ShuffleNetV2 on CIFAR-100.
# Reported top-1: 76.57 (TTM official README).
# Settings: l 0.1 (the teacher at temperature 1 / l = 10, the student at 1),
# TTM weight 45, CE weight 1: the one TTM setting the official code publishes
# (zkxufo/TTM README: `--distill ttm --ttm_l 0.1 -r 1 -b 45`, VGG13 -> VGG8),
# used for every pair. The paper lists its per-pair values in its appendix A.4,
# which is not in our sources; the official code has no per-pair settings.
# Recipe: the pair's (official train_student.py: batch 64, 240 epochs, lr 0.01,
# /10 at 150, 180, 210).
_base_ = ['../_base_/pairs/cifar100_r32x4_shv2.py']

model = dict(
    distill_losses=dict(
        ttm=dict(type='TTMLoss', power=0.1, loss_weight=45.0)))
