# WTTM (Zheng and Yang, ICLR 2024): ResNet-50 -> ResNet-18 on Market-1501
# (person re-identification: CMC rank-k and mAP), the re-id pair of LDRLD
# suppl. sec. 2.4. No paper gives re-id settings for WTTM, so it keeps the
# ImageNet ResNet-34 -> ResNet-18 config's ones, i.e. the only published
# setting: l 0.2 (the teacher at temperature 1 / l = 5, the student at 1), WTTM
# weight 4, CE weight 1.
# Training: torchreid's Market-1501 recipe (Adam lr 3e-4, wd 5e-4, 60 epochs,
# x0.1 every 20, batch 32, 256x128, flip, label smoothing 0.1), the student
# from torchvision's ImageNet ResNet-18, the teacher trained with
# configs/reid/resnet50_market1501.py (or a torchreid checkpoint, as it is).
_base_ = ['../_base_/pairs/market1501_r50_r18.py']

model = dict(
    distill_losses=dict(
        wttm=dict(type='WTTMLoss', power=0.2, loss_weight=4.0)))
