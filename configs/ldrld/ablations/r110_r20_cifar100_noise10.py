# LDRLD ablation (suppl. Tab. 18), 10% symmetric label noise on the training
# set: ResNet110 -> ResNet20 on CIFAR-100.
# Reported top-1: 72.08 (LDRLD suppl. Tab. 18; clean labels 71.98).
# The pair's LDRLD config; exactly 10% of the training labels changed to
# another class drawn uniformly (mmlogitkd.NoisyLabelDataset, seed 0).
_base_ = '../r110_r20_cifar100.py'

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='mmlogitkd.NoisyLabelDataset',
        noise_rate=0.1,
        seed=0,
        mode='symmetric',
        dataset={{_base_.train_dataloader.dataset}}))
