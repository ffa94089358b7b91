# Copyright (c) mmlogitkd contributors. All rights reserved.
from .check_labels_hook import CheckLabelsHook, check_dataset_labels  # noqa: F401
from .seeded_data_hook import SeededDataHook  # noqa: F401
from .teacher_cache_hook import TeacherCacheHook  # noqa: F401
