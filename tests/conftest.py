# Copyright (c) mmlogitkd contributors. All rights reserved.
import os
import sys

# Tests run against the checkout, installed or not.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault('MPLBACKEND', 'Agg')

# mmengine's checkpoint loading safe and its writes atomic, as tools/train.py
# makes them, for the runners and loaders the tests use in process
# (mmlogitkd/utils/checkpoint_hooks.py).
from mmlogitkd.utils import install_checkpoint_hooks  # noqa: E402

install_checkpoint_hooks()
