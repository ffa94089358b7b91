# ImageNet schedule of DKD / mdistiller, also used by SDD and logit
# standardization: 100 epochs, total batch 512, lr 0.2, divided by 10 at
# epochs 30, 60 and 90, SGD momentum 0.9, weight decay 1e-4.
optim_wrapper = dict(
    # optimises the student only; the frozen teacher stays out
    constructor='DistillOptimWrapperConstructor',
    optimizer=dict(type='SGD', lr=0.2, momentum=0.9, weight_decay=1e-4))

param_scheduler = [
    dict(
        type='MultiStepLR', by_epoch=True, milestones=[30, 60, 90],
        gamma=0.1),
]

train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=512)
