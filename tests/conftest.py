# Copyright (c) mmlogitkd contributors. All rights reserved.
import os
import sys

import pytest

# Tests run against the checkout, installed or not.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault('MPLBACKEND', 'Agg')

# mmengine's checkpoint loading safe and its writes atomic, as tools/train.py
# makes them, for the runners and loaders the tests use in process
# (mmlogitkd/utils/checkpoint_hooks.py).
from mmlogitkd.utils import install_checkpoint_hooks  # noqa: E402

install_checkpoint_hooks()


@pytest.fixture(autouse=True)
def _restore_default_scope():
    """Forget the mmengine default scopes a test created (a Runner made with
    ``default_scope='mmengine'``, say): mmengine's current scope is the
    newest one, so a leaked scope would change what later tests build."""
    from mmengine.registry import DefaultScope
    before = set(DefaultScope._instance_dict)
    yield
    for name in [n for n in DefaultScope._instance_dict if n not in before]:
        del DefaultScope._instance_dict[name]
