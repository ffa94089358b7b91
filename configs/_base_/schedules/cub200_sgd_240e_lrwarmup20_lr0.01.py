# cub200_sgd_240e_lrwarmup20.py with lr 0.01 (MobileNetV2 / ShuffleNet
# students).
_base_ = './cub200_sgd_240e_lrwarmup20.py'

optim_wrapper = dict(optimizer=dict(lr=0.01))
