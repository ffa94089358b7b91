# Logit ranking alignment (Lu et al., ICIC 2025): ResNet-50 -> ResNet-18 on
# Market-1501 (person re-identification: CMC rank-k and mAP), the re-id pair
# of LDRLD suppl. sec. 2.4. No paper of this project gives re-id settings for
# it, so it keeps those of its largest label space (Tiny-ImageNet, 200
# classes; sec. 4.1): L2 between soft ranks (eps 1), lambda 10, CE 1, no KL
# term. With 751 identities the ranks, hence the loss, are larger than on
# the papers' datasets: lambda is the first thing to tune.
# Training: torchreid's Market-1501 recipe (Adam lr 3e-4, wd 5e-4, 60 epochs,
# x0.1 every 20, batch 32, 256x128, flip, label smoothing 0.1), the student
# from torchvision's ImageNet ResNet-18, the teacher trained with
# configs/reid/resnet50_market1501.py (or a torchreid checkpoint, as it is).
_base_ = ['../_base_/pairs/market1501_r50_r18.py']

model = dict(
    distill_losses=dict(
        rank=dict(
            type='RankAlignLoss',
            regularization_strength=1.0,
            mode='l2',
            loss_weight=10.0)),
    distill_warmup=None)
