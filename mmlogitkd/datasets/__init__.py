# Copyright (c) mmlogitkd contributors. All rights reserved.
from .tiny_imagenet import collect_tiny_imagenet, convert_tiny_imagenet

__all__ = ['collect_tiny_imagenet', 'convert_tiny_imagenet']
