# SKD (Jeong et al., CVPR 2026): ResNet32x4 -> ResNet8x4 on CIFAR-100.
# Reported top-1: 78.33 (SKD official README, with the authors' own teacher,
# 79.34, and student baseline, 72.48; their KD with this recipe: 74.75).
# Settings: T 4, tikhonov 0.1, SKD weight 0.5, CE weight 0.5: the authors'
# values for this pair (the docstring of SKD in HyunJunSik/StreamLined,
# Distiller/SKD.py: "ce=0.5, kd=0.5 in ResNet8x4 - ResNet32x4"; also the
# defaults of its mdistiller/distillers/SKD.py).
# Recipe: the authors' CIFAR-100 script
# (CIFAR-100/Utils/distillation_train.py): each epoch goes over the training
# set twice, once with crop + flip and once with RandAugment(2, 10) + cutout
# added (./_cifar100_plain_and_randaugment.py); batch 64, 240 epochs, lr 0.1
# for every student, /10 at 150, 180, 210, weight decay 5e-4.
_base_ = [
    '../_base_/pairs/models/cifar100_r32x4_r8x4.py',
    './_cifar100_plain_and_randaugment.py',
    '../_base_/schedules/cifar100_sgd_240e_lr0.1.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student=dict(head=dict(loss=dict(loss_weight=0.5))),  # CE weight
    distill_losses=dict(
        skd=dict(
            type='SKDLoss', temperature=4.0, tikhonov=0.1,
            loss_weight=0.5)))
