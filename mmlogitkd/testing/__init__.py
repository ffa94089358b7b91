# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Helpers for tests and checking tools (as ``mmengine.testing``); they
import torch only, so any floor of the package may be tested with them."""
from .host_reads import HostRead, HostReadCounter, describe_read, host_reads

__all__ = ['HostRead', 'HostReadCounter', 'describe_read', 'host_reads']
