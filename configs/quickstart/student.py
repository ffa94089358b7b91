# The student trained alone (ResNet8 at 3/16 width): the baseline.
_base_ = ['./_base_.py', './models/student.py']
