# The detection quick start's student trained alone (the narrow Faster R-CNN
# of models/student.py): the baseline that distillation has to beat.
#   python tools/train.py configs/quickstart_det/student.py \
#       --work-dir work_dirs/qdet_student
_base_ = ['./_base_.py', './models/student.py']
