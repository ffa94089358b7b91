# torchreid's default Market-1501 schedule (deep-person-reid
# scripts/default_config.py): Adam (betas 0.9 / 0.999, L2 weight decay
# 5e-4), lr 3e-4 for batch 32, 60 epochs, lr_scheduler 'single_step' with
# stepsize 20, i.e. torch's StepLR: x0.1 every 20 epochs (at 20 and 40).
# No frozen-backbone warm-up (fixbase_epoch 0). torchreid evaluates only at
# the end by default; here every 10 epochs (its im_r50 config's eval_freq).
optim_wrapper = dict(
    optimizer=dict(
        type='Adam', lr=0.0003, betas=(0.9, 0.999), weight_decay=5e-4))

param_scheduler = [
    dict(type='StepLR', by_epoch=True, step_size=20, gamma=0.1),
]

train_cfg = dict(by_epoch=True, max_epochs=60, val_interval=10)
val_cfg = dict()
test_cfg = dict()

# lr above is for this total batch; `tools/train.py --auto-scale-lr` rescales.
auto_scale_lr = dict(base_batch_size=32)
