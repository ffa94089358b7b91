# The re-id student trained alone (ResNet-18 at a quarter width): the
# baseline.
_base_ = ['./_base_.py', './models/student.py']
