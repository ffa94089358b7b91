# Tiny-ImageNet schedule of LDRLD (suppl. sec. 2.4): batch 128, lr 0.1, 240
# epochs, lr divided by 10 at 150, 180, 210, SGD momentum 0.9, weight decay
# 5e-4, linear warm-up over the first 20 epochs (read, as for CIFAR-100 in
# the official code, as a learning-rate warm-up).
_base_ = './cifar100_sgd_240e_lrwarmup20.py'

optim_wrapper = dict(optimizer=dict(lr=0.1))
auto_scale_lr = dict(base_batch_size=128)
