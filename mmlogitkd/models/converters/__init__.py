# Copyright (c) mmlogitkd contributors. All rights reserved.
from .detectron2 import (
    UnsafePickleError,
    convert_detectron2_checkpoint,
    detectron2_to_mmdet,
    load_detectron2_pkl,
)
from .distill import distill_to_student, student_state_dict
from .mdistiller import (
    ConversionError,
    convert_mdistiller_checkpoint,
    convert_mdistiller_state_dict,
    extract_state_dict,
)

__all__ = [
    'ConversionError', 'convert_mdistiller_checkpoint',
    'convert_mdistiller_state_dict', 'extract_state_dict',
    'distill_to_student', 'student_state_dict'
]
__all__ += [
    'UnsafePickleError', 'convert_detectron2_checkpoint',
    'detectron2_to_mmdet', 'load_detectron2_pkl'
]
