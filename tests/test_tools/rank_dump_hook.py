# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Test-only hook: every rank saves its student parameters after training,
so a test can check that data-parallel ranks trained the same model."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class RankDumpHook(Hook):

    def after_train(self, runner):
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        params = {
            k: v.detach().cpu()
            for k, v in model.named_parameters() if k.startswith('student.')
        }
        torch.save(params, osp.join(runner.work_dir, f'rank{get_rank()}.pth'))
