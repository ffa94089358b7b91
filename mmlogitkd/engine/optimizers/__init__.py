# Copyright (c) mmlogitkd contributors. All rights reserved.
from .dot import DOT

__all__ = ['DOT']
