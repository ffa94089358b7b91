# DIST's official ImageNet recipe (hunto/image_classification_sota,
# configs/strategies/distill/resnet_dist.yaml, 8 GPUs): batch 256 (32 per
# GPU), lr 0.1, /10 every 30 epochs, Nesterov, no weight decay on biases and
# norm layers. Not a runnable config (the leading underscore): a method config
# inherits it beside its pair's models (../_base_/pairs/models/).
_base_ = [
    '../_base_/datasets/imagenet_bs32.py',
    '../_base_/schedules/imagenet_sgd_100e_bs256_nesterov_nowd_bn_bias.py',
    '../_base_/default_runtime.py',
]
