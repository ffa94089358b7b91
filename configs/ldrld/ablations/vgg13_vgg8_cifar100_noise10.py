# LDRLD ablation (suppl. Tab. 18), 10% symmetric label noise on the training
# set: VGG13 -> VGG8 on CIFAR-100.
# Reported top-1: 74.91 (LDRLD suppl. Tab. 18; clean labels 75.06).
# The pair's LDRLD config; exactly 10% of the training labels changed to
# another class drawn uniformly (mmlogitkd.NoisyLabelDataset, seed 0).
_base_ = '../vgg13_vgg8_cifar100.py'

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='mmlogitkd.NoisyLabelDataset',
        noise_rate=0.1,
        seed=0,
        mode='symmetric',
        dataset={{_base_.train_dataloader.dataset}}))
