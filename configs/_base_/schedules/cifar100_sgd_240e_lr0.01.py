# As cifar100_sgd_240e.py with lr 0.01: the CRD recipe for MobileNetV2 and
# ShuffleNetV1/V2 students.
_base_ = './cifar100_sgd_240e.py'

optim_wrapper = dict(optimizer=dict(lr=0.01))
