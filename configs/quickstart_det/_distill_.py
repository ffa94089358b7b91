# Shared by the detection distillation runs: the student of models/student.py
# learns from the frozen teacher of models/teacher.py on the student's RoIs.
# Each run config adds `model.distill_losses`.
_base_ = ['./_base_.py']

model = dict(
    _scope_='mmlogitkd',
    type='DetLogitDistiller',
    student=dict(cfg_path='mmlogitkd::quickstart_det/models/student.py'),
    teacher=dict(cfg_path='mmlogitkd::quickstart_det/models/teacher.py'),
    # tools/quickstart.py --task det passes the real path with --cfg-options
    teacher_ckpt='work_dirs/quickstart_det/teacher/teacher.pth')
# the teacher stays out of the optimizer
optim_wrapper = dict(constructor='mmlogitkd.DistillOptimWrapperConstructor')
