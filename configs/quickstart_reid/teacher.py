# The re-id teacher trained alone (torchreid's ResNet-18 at half width);
# tools/quickstart.py --task reid caches it.
_base_ = ['./_base_.py', './models/teacher.py']

# the teacher's recipe: 30 epochs (600 iterations), 2.5 times the
# students' (the cosine follows the loop)
train_cfg = dict(max_epochs=30)
