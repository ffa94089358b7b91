# The re-id pair of LDRLD suppl. sec. 2.4 (./models/market1501_r50_r18.py),
# trained with torchreid's Market-1501 recipe (Adam lr 3e-4, wd 5e-4, 60
# epochs, x0.1 every 20, batch 32, 256x128, flip, label smoothing 0.1). Each
# method's config adds `model.distill_losses`.
_base_ = [
    './models/market1501_r50_r18.py',
    '../datasets/market1501_bs32.py',
    '../schedules/market1501_adam_60e.py',
    '../default_runtime.py',
]
optim_wrapper = dict(constructor='DistillOptimWrapperConstructor')
