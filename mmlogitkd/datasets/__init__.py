# Copyright (c) mmlogitkd contributors. All rights reserved.
from .digits import DigitsDataset
from .tiny_imagenet import collect_tiny_imagenet, convert_tiny_imagenet

__all__ = ['DigitsDataset', 'collect_tiny_imagenet', 'convert_tiny_imagenet']
from .digits_coco import make_digits_coco  # noqa: E402,F401
from .digits_market1501 import make_digits_market1501  # noqa: E402,F401
from .image_checks import install_image_checks  # noqa: E402,F401
from .market1501 import Market1501Dataset  # noqa: E402,F401
from .noisy_label import NoisyLabelDataset, make_noisy_labels  # noqa: E402,F401
from .reid_sampler import RandomIdentitySampler  # noqa: E402,F401
from .seeded import (  # noqa: E402,F401
    SeededDataset,
    SeededSampler,
    epoch_seed,
    sample_seed,
    seeded_rngs,
)
from .transforms import FixMatchRandAugment, StackViews  # noqa: E402,F401
