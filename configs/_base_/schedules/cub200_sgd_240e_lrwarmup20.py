# cub200_sgd_240e.py (SDD's CUB-200 schedule: 240 epochs, batch 64, lr 0.05,
# /10 at 150, 180, 210, wd 5e-4) plus the 20-epoch linear learning-rate
# warm-up that the official LDRLD code applies to every run (--wram_up 20,
# its default): identical to cifar100_sgd_240e_lrwarmup20.py.
_base_ = './cifar100_sgd_240e_lrwarmup20.py'
