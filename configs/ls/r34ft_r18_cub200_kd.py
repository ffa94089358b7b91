# KD + logit standardization (Sun et al., CVPR 2024) on CUB-200-2011.
# Teacher ResNet34 fine-tuned on CUB-200 from ImageNet weights
# (checkpoints/cub200/resnet34_in1k_ft.pth; no public checkpoint, see
# _base_/teachers/cub200_resnet34.py); student ResNet18 from scratch.
# Reported top-1: LS suppl. Tab. 7, whose numbers are not in our text of the
# supplement.
# Recipe and loss: those of ./r34_r18_cub200_kd.py, whose teacher is trained
# from scratch; only the teacher checkpoint differs.
_base_ = './r34_r18_cub200_kd.py'

model = dict(teacher_ckpt='checkpoints/cub200/resnet34_in1k_ft.pth')
