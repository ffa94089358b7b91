# ImageNet schedule of LDRLD (suppl. sec. 2.4): 100 epochs, total batch 256,
# lr 0.1, linear warm-up over the first 10 epochs, divided by 10 at epochs 30,
# 60 and 90, weight decay 1e-4 (momentum not stated; 0.9 as everywhere else).
_base_ = './imagenet_sgd_100e_bs512.py'

optim_wrapper = dict(optimizer=dict(lr=0.1))
param_scheduler = [
    # epoch index i = 0..9 -> factor 0.1 * (i + 1)
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=10),
    dict(
        type='MultiStepLR',
        by_epoch=True,
        begin=0,
        end=100,
        milestones=[30, 60, 90],
        gamma=0.1),
]
auto_scale_lr = dict(base_batch_size=256)
