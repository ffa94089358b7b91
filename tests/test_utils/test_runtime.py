# Copyright (c) mmlogitkd contributors. All rights reserved.
from contextlib import nullcontext

import pytest
import torch
from mmengine.config import Config

from mmlogitkd.apis import check_data_paths, register_all_modules

register_all_modules()


def _cfg(dataset, tmp_path):
    return Config(
        dict(
            train_dataloader=dict(dataset=dataset),
            val_dataloader=dict(
                dataset=dict(
                    type='mmpretrain.CustomDataset',
                    data_root=str(tmp_path),
                    ann_file='meta/val.txt'))))


def test_missing_root_and_ann_file_are_named(tmp_path):
    cfg = _cfg(
        dict(type='mmpretrain.CustomDataset', data_root='/nowhere/data'),
        tmp_path)
    with pytest.raises(FileNotFoundError) as info:
        check_data_paths(cfg)
    msg = str(info.value)
    assert 'train_dataloader.dataset.data_root = "/nowhere/data"' in msg
    assert 'val_dataloader.dataset.ann_file' in msg
    assert str(tmp_path / 'meta/val.txt') in msg


def test_datasets_that_download_are_left_alone(tmp_path):
    (tmp_path / 'meta').mkdir()
    (tmp_path / 'meta/val.txt').write_text('a.png 0\n')  # a valid list
    # mmpretrain's CIFAR100 downloads by default ...
    check_data_paths(
        _cfg(dict(type='mmpretrain.CIFAR100', data_root='/nowhere/c'),
             tmp_path))
    # ... unless told not to
    with pytest.raises(FileNotFoundError, match='/nowhere/c'):
        check_data_paths(
            _cfg(
                dict(
                    type='mmpretrain.CIFAR100',
                    data_root='/nowhere/c',
                    download=False), tmp_path))
    # wrapped datasets are checked too
    with pytest.raises(FileNotFoundError,
                       match=r'train_dataloader\.dataset\.dataset'):
        check_data_paths(
            _cfg(
                dict(
                    type='mmengine.RepeatDataset',
                    times=2,
                    dataset=dict(
                        type='mmpretrain.CustomDataset',
                        data_root='/nowhere/r')), tmp_path))


def test_epoch_warmup_under_iteration_loop_fails_before_building():
    from mmlogitkd.apis import check_warmup_unit
    cfg = Config(
        dict(
            model=dict(distill_warmup=dict(length=20)),
            train_cfg=dict(type='IterBasedTrainLoop', max_iters=100)))
    with pytest.raises(ValueError, match='by_epoch=False'):
        check_warmup_unit(cfg)
    cfg.model.distill_warmup.by_epoch = False
    check_warmup_unit(cfg)  # iterations under an iteration loop: fine
    cfg = Config(
        dict(
            model=dict(distill_warmup=dict(length=20)),
            train_cfg=dict(by_epoch=True, max_epochs=240)))
    check_warmup_unit(cfg)


@pytest.mark.skipif(not torch.distributed.is_available(),
                    reason='torch.distributed not built')
@pytest.mark.parametrize('fails', [False, True])
def test_launched_main_destroys_the_group_and_exits(tmp_path, fails):
    import torch.distributed as dist

    from mmlogitkd.apis import run_launched_main
    exits = []

    def main():
        store = dist.FileStore(str(tmp_path / 'store'), 1)
        dist.init_process_group('gloo', store=store, rank=0, world_size=1)
        tensor = torch.ones(3)
        dist.all_reduce(tensor)
        if fails:
            raise RuntimeError('a failing run')

    try:
        with pytest.raises(RuntimeError) if fails else nullcontext():
            run_launched_main(main, exit_process=exits.append)
        assert not dist.is_initialized()
        # a distributed success ends the process at once, with status 0; a
        # failure raises as usual
        assert exits == ([] if fails else [0])
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    # a single-process run returns as usual
    run_launched_main(lambda: None, exit_process=exits.append)
    assert exits == ([] if fails else [0])
