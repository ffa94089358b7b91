# Copyright (c) mmlogitkd contributors. All rights reserved.
# The torchvision shim must run before anything imports torchvision, hence
# first. mmengine's checkpoint hooks are no import side effect: tools/ call
# mmlogitkd.utils.install_checkpoint_hooks().
from . import compat  # noqa: F401
from .version import __version__, version_info

__all__ = ['__version__', 'version_info']
