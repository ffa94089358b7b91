# ImageNet-1k with 32 images per GPU: total batch 256 on 8 GPUs (the LDRLD
# ImageNet recipe). Everything else as imagenet_bs64.py.
_base_ = './imagenet_bs64.py'

train_dataloader = dict(batch_size=32)
val_dataloader = dict(batch_size=32)
test_dataloader = val_dataloader
