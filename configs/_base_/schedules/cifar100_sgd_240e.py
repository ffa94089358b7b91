# CIFAR-100 distillation schedule of CRD / mdistiller, used by KD, DKD, NKD,
# SDD, logit standardization and LDRLD: 240 epochs of SGD (momentum 0.9,
# weight decay 5e-4), lr 0.05 for batch 64, divided by 10 at epochs 150, 180
# and 210.
optim_wrapper = dict(
    # optimises the student only; the frozen teacher stays out
    constructor='DistillOptimWrapperConstructor',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))

param_scheduler = [
    dict(
        type='MultiStepLR',
        by_epoch=True,
        milestones=[150, 180, 210],
        gamma=0.1),
]

train_cfg = dict(by_epoch=True, max_epochs=240, val_interval=1)
val_cfg = dict()
test_cfg = dict()

# lr above is for this total batch; `tools/train.py --auto-scale-lr` rescales.
auto_scale_lr = dict(base_batch_size=64)
