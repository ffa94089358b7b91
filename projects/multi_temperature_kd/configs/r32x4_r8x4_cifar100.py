# Multi-temperature KD, ResNet32x4 -> ResNet8x4 on CIFAR-100: the KD recipe
# of configs/kd with the loss swapped for MLKD's instance-level term.
_base_ = ['../../../configs/kd/r32x4_r8x4_cifar100.py']

custom_imports = dict(
    imports=['projects.multi_temperature_kd.mtkd'],
    allow_failed_imports=False)

model = dict(
    distill_losses=dict(
        _delete_=True,
        mtkd=dict(
            type='MultiTemperatureKDLoss',
            temperatures=(2, 3, 4, 5, 6),
            loss_weight=0.9)))
