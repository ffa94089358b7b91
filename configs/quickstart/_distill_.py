# Shared by the distillation runs: the student learns from the frozen
# teacher of teacher.py. Each run config adds `model.distill_losses`.
_base_ = './_base_.py'

model = dict(
    type='ClsLogitDistiller',
    # the model files of student.py and teacher.py (each keeps its own
    # data_preprocessor)
    student=dict(cfg_path='mmlogitkd::quickstart/models/student.py'),
    teacher=dict(cfg_path='mmlogitkd::quickstart/models/teacher.py'),
    # tools/quickstart.py passes the real path with --cfg-options
    teacher_ckpt='work_dirs/quickstart/teacher/teacher.pth')

# The teacher stays out of the optimizer.
optim_wrapper = dict(constructor='DistillOptimWrapperConstructor')
