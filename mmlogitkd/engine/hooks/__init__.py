# Copyright (c) mmlogitkd contributors. All rights reserved.
from .check_labels_hook import (CheckLabelsHook,  # noqa: F401
                                check_dataset_labels)
from .seeded_data_hook import SeededDataHook  # noqa: F401
from .teacher_cache_hook import TeacherCacheHook  # noqa: F401
