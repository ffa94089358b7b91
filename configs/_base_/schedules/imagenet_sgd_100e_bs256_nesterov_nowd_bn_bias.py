# ImageNet schedule of DIST (official hunto/image_classification_sota,
# configs/strategies/distill/resnet_dist.yaml on 8 GPUs): as
# imagenet_sgd_100e_bs256_nesterov.py (100 epochs, total batch 256, lr 0.1
# divided by 10 every 30 epochs, SGD momentum 0.9 with Nesterov, weight decay
# 1e-4, no warm-up), but no weight decay on the one-dimensional parameters
# (biases and norm layers), as its lib/utils/optim.py filters them.
_base_ = './imagenet_sgd_100e_bs256_nesterov.py'

optim_wrapper = dict(paramwise_cfg=dict(flat_decay_mult=0.0))
