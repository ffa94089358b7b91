# Shared by the Faster R-CNN distillation configs on COCO: the recipe of the
# students alone (./frcnn_coco_1x.py: mmdet's COCO data pipeline, 1x
# schedule and runtime), with the teacher kept out of the optimizer. Our
# distiller carries _scope_='mmlogitkd' inside mmdet's default_scope.
_base_ = './frcnn_coco_1x.py'

# mmengine's default constructor on everything but the teacher
optim_wrapper = dict(constructor='mmlogitkd.DistillOptimWrapperConstructor')
