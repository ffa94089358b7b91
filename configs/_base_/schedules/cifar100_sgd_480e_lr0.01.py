# As cifar100_sgd_480e_lr0.025.py with lr 0.01: MLKD's official configs for
# MobileNetV2 and ShuffleNetV1/V2 students.
_base_ = './cifar100_sgd_480e_lr0.025.py'

optim_wrapper = dict(optimizer=dict(lr=0.01))
