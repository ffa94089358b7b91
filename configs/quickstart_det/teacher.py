# The detection quick start's teacher trained alone (Faster R-CNN R-18 FPN).
#   python tools/dataset_converters/make_digits_coco.py \
#       work_dirs/quickstart_det/data
#   python tools/train.py configs/quickstart_det/teacher.py \
#       --work-dir work_dirs/qdet_teacher
_base_ = ['./_base_.py', './models/teacher.py']

# the teacher's recipe (AP in ./_base_.py): 300 iterations, 50 more than
# the students'; the cosine follows the loop
train_cfg = dict(max_iters=300, val_interval=300)
default_hooks = dict(checkpoint=dict(interval=300))
