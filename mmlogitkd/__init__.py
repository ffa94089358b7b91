# Copyright (c) mmlogitkd contributors. All rights reserved.
# The compatibility shims must run before anything imports torchvision or
# loads an mmengine checkpoint, hence first.
from . import compat  # noqa: F401
from .version import __version__, version_info

__all__ = ['__version__', 'version_info']
