# Shared by the Faster R-CNN distillation configs on COCO: mmdet's own
# COCO data pipeline, 1x schedule (12 epochs, SGD lr 0.02 at batch 16 =
# 8 GPUs x 2 images, steps at epochs 8 and 11, 500-iteration linear
# warm-up) and runtime, inherited from the installed mmdet as mmdet users
# write them. It is the DKD / LDRLD recipe: Detectron2's 1x (90k iterations at
# batch 16; mdistiller ran 180k at batch 8 and lr 0.01), single-scale.
#
# default_scope is mmdet's: unprefixed types (CocoDataset, CocoMetric,
# FasterRCNN parts) resolve there; our distiller carries _scope_='mmlogitkd'.
_base_ = [
    'mmdet::_base_/datasets/coco_detection.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    'mmdet::_base_/default_runtime.py',
]

# the teacher stays out of the optimizer
optim_wrapper = dict(constructor='mmlogitkd.DistillOptimWrapperConstructor')
