# Copyright (c) mmlogitkd contributors. All rights reserved.
"""mmengine writes, resumes and loads its own checkpoints with torch's safe
loading on; anything else pickled in a checkpoint is refused."""
import pickle

import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.runner import Runner, load_checkpoint

from mmlogitkd.utils import UnsafeCheckpointError


class TinyRegressor(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 1)
        self.bn = nn.BatchNorm1d(4)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        inputs = torch.stack(inputs) if isinstance(inputs, list) else inputs
        pred = self.linear(self.bn(inputs)).squeeze(1)
        if mode == 'loss':
            target = torch.stack(data_samples) if isinstance(
                data_samples, list) else data_samples
            return dict(loss=((pred - target)**2).mean())
        return pred


class InMemoryDataset(torch.utils.data.Dataset):

    def __init__(self, n=32):
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, 4, generator=g)
        self.y = self.x @ torch.tensor([1., -2., .5, 3.])

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return dict(inputs=self.x[i], data_samples=self.y[i])


def _runner(work_dir, max_epochs, resume=False):
    return Runner(
        model=TinyRegressor(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=InMemoryDataset(),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=8,
            num_workers=0),
        optim_wrapper=dict(
            optimizer=dict(type='SGD', lr=0.05, momentum=0.9)),
        param_scheduler=dict(
            type='MultiStepLR', milestones=[2], end=100, by_epoch=True),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=1),
            logger=dict(type='LoggerHook', interval=1)),
        randomness=dict(seed=0),
        resume=resume,
        default_scope='mmengine',
        experiment_name=f'exp_{max_epochs}_{resume}')


@pytest.mark.e2e
def test_train_save_and_resume_with_safe_loading(tmp_path):
    runner = _runner(tmp_path, max_epochs=1)
    runner.train()
    ckpt = tmp_path / 'epoch_1.pth'
    assert ckpt.is_file()

    # The checkpoint holds mmengine's own non-tensor types ...
    raw = torch.load(ckpt, weights_only=True)
    epoch_1_bytes = ckpt.read_bytes()
    assert raw['meta']['epoch'] == 1
    assert 'message_hub' in raw and 'optimizer' in raw

    # ... and resuming reads it back with safe loading and goes on.
    resumed = _runner(tmp_path, max_epochs=2, resume=True)
    resumed.train()
    assert resumed.epoch == 2
    assert (tmp_path / 'epoch_2.pth').is_file()
    state = torch.load(tmp_path / 'epoch_2.pth', weights_only=True)
    assert state['meta']['epoch'] == 2
    # A fresh start would have rewritten epoch_1.pth.
    assert ckpt.read_bytes() == epoch_1_bytes
    # The scheduler went on from its saved step and crossed the milestone.
    assert raw['param_schedulers'][0]['last_step'] == 1
    assert state['param_schedulers'][0]['last_step'] == 2
    lr = state['optimizer']['param_groups'][0]['lr']
    assert lr == pytest.approx(0.05 * 0.1)

    # load_from also works, into a fresh model
    model = TinyRegressor()
    load_checkpoint(model, str(ckpt), map_location='cpu')
    torch.testing.assert_close(model.linear.weight,
                               raw['state_dict']['linear.weight'])


class NotAllowed:
    """Any class outside the allow-list; unpickling it could run code."""

    def __reduce__(self):
        return (NotAllowed, ())


def test_checkpoint_with_arbitrary_object_is_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save(
        dict(state_dict=TinyRegressor().state_dict(), meta=dict(
            x=NotAllowed())), path)
    with pytest.raises(UnsafeCheckpointError) as info:
        load_checkpoint(TinyRegressor(), str(path), map_location='cpu')
    message = str(info.value)
    assert str(path) in message and 'NotAllowed' in message
    assert isinstance(info.value, pickle.UnpicklingError)
    # it says how to opt in for a trusted file, and never to turn safe
    # loading off (tests/test_reliability/test_checkpoint_*.py: each entry
    # point, broken files, the opt-in)
    assert 'allow_unsafe_checkpoint=True' in message
    assert 'weights_only=False' not in message
    # and safe loading is still on globally
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)
