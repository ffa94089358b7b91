# Copyright (c) mmlogitkd contributors. All rights reserved.
from .export import reid_student_to_torchreid
from .torchreid_classifier import (
    TORCHREID_PREPROCESSOR,
    TorchreidClassifier,
    build_torchreid_net,
)

__all__ = [
    'TorchreidClassifier', 'TORCHREID_PREPROCESSOR', 'build_torchreid_net',
    'reid_student_to_torchreid'
]
