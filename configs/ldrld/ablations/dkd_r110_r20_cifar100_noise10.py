# LDRLD ablation (suppl. Tab. 18), DKD with 10% symmetric label noise on the
# training set: ResNet110 -> ResNet20 on CIFAR-100.
# Reported top-1: 71.32 (LDRLD suppl. Tab. 18; clean labels 70.91).
# The pair's DKD config; the same noisy labels as the LDRLD run
# (mmlogitkd.NoisyLabelDataset, seed 0).
_base_ = '../../dkd/r110_r20_cifar100.py'

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='mmlogitkd.NoisyLabelDataset',
        noise_rate=0.1,
        seed=0,
        mode='symmetric',
        dataset={{_base_.train_dataloader.dataset}}))
