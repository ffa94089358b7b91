# tiny_imagenet_sgd_240e_lrwarmup20.py with lr 0.02: LDRLD's Tiny-ImageNet
# lr for MobileNetV2 students.
_base_ = './tiny_imagenet_sgd_240e_lrwarmup20.py'

optim_wrapper = dict(optimizer=dict(lr=0.02))
