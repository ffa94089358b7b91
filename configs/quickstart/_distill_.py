# Shared by the distillation runs: the student learns from the frozen
# teacher of teacher.py. Each run config adds `model.distill_losses`.
_base_ = './_base_.py'

model = dict(
    type='ClsLogitDistiller',
    student={{_base_.student_model}},
    teacher={{_base_.teacher_model}},
    # tools/quickstart.py passes the real path with --cfg-options
    teacher_ckpt='work_dirs/quickstart/teacher/teacher.pth',
    data_preprocessor={{_base_.data_preprocessor}})

# The teacher stays out of the optimizer.
optim_wrapper = dict(constructor='DistillOptimWrapperConstructor')
