# As cifar100_sgd_240e.py plus the linear learning-rate warm-up of the
# official LDRLD code (`adjust_learning_rate_wram_up`, --wram_up 20): in epoch
# e = 1..19 the lr is e/20 of its base value, full from epoch 20 on; the
# distillation loss itself is not warmed up.
_base_ = './cifar100_sgd_240e.py'

param_scheduler = [
    # epoch index i = 0..19 -> factor 0.05 * (i + 1)
    dict(type='LinearLR', start_factor=0.05, by_epoch=True, begin=0, end=20),
    dict(
        type='MultiStepLR',
        by_epoch=True,
        begin=0,
        end=240,
        milestones=[150, 180, 210],
        gamma=0.1),
]
