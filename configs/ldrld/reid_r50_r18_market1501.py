# LDRLD (ICCV 2025): ResNet-50 -> ResNet-18 on Market-1501 (person
# re-identification: CMC rank-k and mAP), the re-id pair of LDRLD suppl.
# sec. 2.4, which states neither alpha / beta nor the recipe for Market-1501.
# The loss keeps the ImageNet ResNet-34 -> ResNet-18 settings (the closest
# documented pair: homogeneous ResNets, ~1000 classes; suppl. Tab. 10 and
# sec. 2.4): alpha 7, beta 0.025, d = k = 7, T 2, CE 1, no loss warm-up.
# Training: torchreid's Market-1501 recipe (Adam lr 3e-4, wd 5e-4, 60 epochs,
# x0.1 every 20, batch 32, 256x128, flip, label smoothing 0.1), the student
# from torchvision's ImageNet ResNet-18, the teacher trained with
# configs/reid/resnet50_market1501.py (or a torchreid checkpoint, as it is).
_base_ = ['../_base_/pairs/market1501_r50_r18.py']

model = dict(
    distill_losses=dict(
        ldrld=dict(
            type='LDRLDLoss', alpha=7.0, beta=0.025, k=7, temperature=2.0)),
    distill_warmup=None)
