# Shared by the re-id distillation runs: the student (models/student.py)
# learns from the frozen teacher of teacher.py on the identity logits of the
# same crops. Each run config adds `model.distill_losses`, with the loss
# settings of the project's Market-1501 configs
# (configs/<method>/reid_r50_r18_market1501.py: each method's ImageNet
# ResNet-34 -> ResNet-18 settings, its closest documented pair), the same
# recipe for every method.
_base_ = './_base_.py'

model = dict(
    type='ReIDLogitDistiller',
    student=dict(cfg_path='mmlogitkd::quickstart_reid/models/student.py'),
    teacher=dict(cfg_path='mmlogitkd::quickstart_reid/models/teacher.py'),
    # tools/quickstart.py --task reid passes the real path with
    # --cfg-options
    teacher_ckpt='work_dirs/quickstart_reid/teacher/teacher.pth')

# The teacher stays out of the optimizer.
optim_wrapper = dict(constructor='DistillOptimWrapperConstructor')
