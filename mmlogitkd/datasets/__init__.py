# Copyright (c) mmlogitkd contributors. All rights reserved.
from .digits import DigitsDataset
from .tiny_imagenet import collect_tiny_imagenet, convert_tiny_imagenet

__all__ = ['DigitsDataset', 'collect_tiny_imagenet', 'convert_tiny_imagenet']
