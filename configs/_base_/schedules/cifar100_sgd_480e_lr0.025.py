# MLKD's CIFAR-100 schedule (official Multi-Level-Logit-Distillation and
# logit-standardization-KD configs, cifar100/{ours,mlkd}/*.yaml): SGD
# (momentum 0.9, weight decay 5e-4), batch 64, lr 0.025, divided by 10 at
# epochs 150, 180 and 210 (the milestones stay there for the longer run),
# 480 epochs (LS suppl. sec. 2: "240, except for MLKD of 480").
_base_ = './cifar100_sgd_240e.py'

optim_wrapper = dict(optimizer=dict(lr=0.025))
train_cfg = dict(max_epochs=480)
