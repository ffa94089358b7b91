# The teacher trained alone (ResNet8x4); tools/quickstart.py caches it.
_base_ = ['./_base_.py', './models/teacher.py']
