# Copyright (c) mmlogitkd contributors. All rights reserved.
"""mdistiller checkpoint converter (function and CLI) and the Tiny-ImageNet
annotation converter."""
import argparse
import fractions
import importlib.util
import os
import os.path as osp
import subprocess
import sys
from collections import OrderedDict

import pytest
import torch

from mmlogitkd.datasets.tiny_imagenet import (
    collect_tiny_imagenet,
    convert_tiny_imagenet,
)
from mmlogitkd.models.converters import (
    ConversionError,
    convert_mdistiller_state_dict,
    extract_state_dict,
)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MODEL_TOOL = osp.join(REPO, 'tools', 'model_converters',
                      'mdistiller_to_mmlogitkd.py')
DATA_TOOL = osp.join(REPO, 'tools', 'dataset_converters', 'tiny_imagenet.py')


@pytest.fixture(autouse=True, scope='module')
def _single_thread():
    """Tiny CPU convolutions: one intra-op thread is faster, and much faster
    on a busy machine, than OpenMP threads fighting for the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _load_reference_module():
    """The independent mdistiller reference models of the backbone tests."""
    path = osp.join(osp.dirname(osp.abspath(__file__)),
                    'test_cifar_backbones.py')
    spec = importlib.util.spec_from_file_location('_mdistiller_reference',
                                                  path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load_tool(path, name):
    """Import a CLI script as a module to call its ``main(argv)`` in-process
    (a subprocess costs seconds of imports; one round trip uses it)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REF = _load_reference_module()
MODEL_CLI = _load_tool(MODEL_TOOL, '_mdistiller_to_mmlogitkd')
DATA_CLI = _load_tool(DATA_TOOL, '_tiny_imagenet_tool')


def run_main(cli, capsys, *args):
    """``cli.main(args)`` -> (exit code, stdout, stderr)."""
    code = cli.main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def run_tool(tool, *args, cwd=None):
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    return subprocess.run([sys.executable, tool, *map(str, args)],
                          capture_output=True,
                          text=True,
                          env=env,
                          cwd=cwd)


@pytest.fixture(scope='module')
def resnet8x4():
    return REF.randomize_(REF.build_reference('resnet8x4'), seed=1)


# --------------------------------------------------------------------------
# mdistiller -> mmlogitkd
# --------------------------------------------------------------------------


def test_cli_round_trip(tmp_path, resnet8x4):
    src, dst = tmp_path / 'ckpt_epoch_240.pth', tmp_path / 'out.pth'
    torch.save(
        {
            'epoch': 240,
            'model': resnet8x4.state_dict(),
            'accuracy': torch.tensor(72.5),
            'optimizer': {
                'state': {},
                'param_groups': []
            }
        }, src)
    proc = run_tool(MODEL_TOOL, src, dst, '--arch', 'resnet8x4', cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert 'resnet8x4' in proc.stdout

    ckpt = torch.load(dst, map_location='cpu', weights_only=True)
    assert set(ckpt) == {'state_dict', 'meta'}
    meta = ckpt['meta']
    assert meta['arch'] == 'resnet8x4' and meta['num_classes'] == 100
    assert meta['backbone'] == dict(type='CifarResNet', arch='resnet8x4')
    assert meta['epoch'] == 240 and meta['accuracy'] == pytest.approx(72.5)
    state = ckpt['state_dict']
    assert all(k.startswith(('backbone.', 'head.fc.')) for k in state)
    torch.testing.assert_close(state['head.fc.weight'],
                               resnet8x4.fc.weight)

    model = REF.PooledClassifier(REF.build_ours('resnet8x4'), 100)
    model.load_state_dict(state, strict=True)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(model.eval()(x), resnet8x4(x))


@pytest.mark.parametrize('wrap', ['top', 'state_dict', 'net', 'module',
                                  'namespace'])
def test_checkpoint_layouts(tmp_path, capsys, resnet8x4, wrap):
    sd = resnet8x4.state_dict()
    ckpt = {
        'top': sd,
        'state_dict': {'state_dict': sd, 'epoch': 3},
        'net': {'net': sd, 'acc': 70.0},
        'module': {'model': OrderedDict(
            ('module.' + k, v) for k, v in sd.items())},
        # RepDistiller's "_last.pth" keeps its argparse options
        'namespace': {'opt': argparse.Namespace(lr=0.05), 'model': sd},
    }[wrap]
    src, dst = tmp_path / 'src.pth', tmp_path / 'dst.pth'
    torch.save(ckpt, src)
    code, _, err = run_main(MODEL_CLI, capsys, src, dst, '--arch',
                            'resnet8x4')
    assert code == 0, err
    state = torch.load(dst, weights_only=True)['state_dict']
    assert state.keys() == convert_mdistiller_state_dict(sd,
                                                         'resnet8x4').keys()


def test_prefix_selects_student():
    student = REF.randomize_(REF.build_reference('resnet8'), seed=2)
    teacher = REF.randomize_(REF.build_reference('resnet32x4'), seed=3)
    sd = OrderedDict()
    sd.update(('module.student.' + k, v)
              for k, v in student.state_dict().items())
    sd.update(('module.teacher.' + k, v)
              for k, v in teacher.state_dict().items())
    picked = extract_state_dict({'model': sd}, prefix='module.student.')
    converted = convert_mdistiller_state_dict(picked, 'resnet8')
    torch.testing.assert_close(converted['backbone.conv1.weight'],
                               student.conv1.weight)
    with pytest.raises(ConversionError, match='module.pupil.'):
        extract_state_dict({'model': sd}, prefix='module.pupil.')


def test_no_state_dict_names_found_keys(tmp_path, capsys):
    with pytest.raises(ConversionError) as err:
        extract_state_dict({'epoch': 240, 'weights': [1, 2]})
    assert "'epoch'" in str(err.value) and "'weights'" in str(err.value)
    assert "'model'" in str(err.value)

    src = tmp_path / 'bad.pth'
    torch.save({'epoch': 1, 'ema': {'a': 1}}, src)
    code, _, err = run_main(MODEL_CLI, capsys, src, tmp_path / 'x.pth',
                            '--arch', 'resnet8')
    assert code == 1 and "'ema'" in err
    assert not (tmp_path / 'x.pth').exists()


def test_missing_key_is_named(resnet8x4):
    sd = OrderedDict(resnet8x4.state_dict())
    del sd['layer2.0.bn1.running_var']
    with pytest.raises(ConversionError, match=r'layer2\.0\.bn1\.running_var'):
        convert_mdistiller_state_dict(sd, 'resnet8x4')
    sd = OrderedDict(resnet8x4.state_dict())
    del sd['fc.bias']
    with pytest.raises(ConversionError, match=r'head\.fc\.bias'):
        convert_mdistiller_state_dict(sd, 'resnet8x4')


def test_missing_num_batches_tracked_is_filled(resnet8x4):
    sd = OrderedDict((k, v) for k, v in resnet8x4.state_dict().items()
                     if not k.endswith('num_batches_tracked'))
    converted = convert_mdistiller_state_dict(sd, 'resnet8x4')
    assert converted['backbone.bn1.num_batches_tracked'].item() == 0


def test_wrong_arch_names_keys(tmp_path, capsys):
    r32x4 = REF.build_reference('resnet32x4').state_dict()
    with pytest.raises(ConversionError) as err:
        convert_mdistiller_state_dict(r32x4, 'resnet8x4')
    msg = str(err.value)
    assert 'unused' in msg and 'layer1.1.conv1.weight' in msg
    assert "'resnet8x4'" in msg

    # a resnet8 checkpoint lacks resnet8x4's layer1 projection shortcut
    with pytest.raises(ConversionError,
                       match=r'layer1\.0\.downsample\.0\.weight'):
        convert_mdistiller_state_dict(
            REF.build_reference('resnet8').state_dict(), 'resnet8x4')

    # same keys, other widths: a shape error naming both shapes
    wrn = REF.build_reference('wrn_40_1').state_dict()
    wrn['conv1.weight'] = torch.zeros(8, 3, 3, 3)
    with pytest.raises(
            ConversionError,
            match=r'conv1\.weight.*\(8, 3, 3, 3\).*\(16, 3, 3, 3\)'):
        convert_mdistiller_state_dict(wrn, 'wrn_40_1')
    sd = REF.build_reference('resnet8').state_dict()
    sd['fc.weight'] = torch.zeros(100, 32)
    with pytest.raises(ConversionError, match=r'fc\.weight'):
        convert_mdistiller_state_dict(sd, 'resnet8')

    # the CLI: a clean message, non-zero exit, nothing written
    src = tmp_path / 'r32x4.pth'
    torch.save({'model': r32x4}, src)
    code, _, err = run_main(MODEL_CLI, capsys, src, tmp_path / 'out.pth',
                            '--arch', 'resnet8x4')
    assert code == 1 and 'layer1.1.conv1.weight' in err
    assert not (tmp_path / 'out.pth').exists()

    with pytest.raises(SystemExit) as exit_info:
        MODEL_CLI.main([str(src), str(tmp_path / 'out.pth'), '--arch',
                        'resnet9'])
    assert exit_info.value.code == 2 and 'resnet9' in capsys.readouterr().err
    with pytest.raises(ConversionError, match='resnet9'):
        convert_mdistiller_state_dict(r32x4, 'resnet9')


def test_renamed_families_round_trip():
    # families whose names differ from the originals'
    for name, expected_key in [
        ('wrn_16_2', 'backbone.layer2.0.shortcut.weight'),
        ('wrn_16_2', 'backbone.final_bn.running_mean'),
        ('MobileNetV2', 'backbone.layer7.0.conv.7.weight'),
        ('MobileNetV1', 'backbone.layers.13.4.bias'),
    ]:
        sd = REF.build_reference(name).state_dict()
        assert expected_key in convert_mdistiller_state_dict(sd, name)


def test_untrusted_pickle_asks_for_trust(tmp_path, capsys, resnet8x4):
    src = tmp_path / 'pickled.pth'
    torch.save({'model': resnet8x4.state_dict(),
                'ratio': fractions.Fraction(1, 3)}, src)
    code, _, err = run_main(MODEL_CLI, capsys, src, tmp_path / 'a.pth',
                            '--arch', 'resnet8x4')
    assert code == 1 and '--trust-pickle' in err
    code, _, err = run_main(MODEL_CLI, capsys, src, tmp_path / 'a.pth',
                            '--arch', 'resnet8x4', '--trust-pickle')
    assert code == 0, err


# --------------------------------------------------------------------------
# Tiny-ImageNet
# --------------------------------------------------------------------------

WNIDS = ['n02124075', 'n04067472', 'n01443537']


def make_tiny_imagenet(root, wnids=WNIDS, per_class=3, val_labels=None):
    from PIL import Image
    os.makedirs(root)
    with open(osp.join(root, 'wnids.txt'), 'w') as f:
        f.write('\n'.join(wnids) + '\n')
    with open(osp.join(root, 'words.txt'), 'w') as f:
        f.writelines(f'{w}\tthing {i}\n' for i, w in enumerate(wnids))
    img = Image.new('RGB', (8, 8), (10, 20, 30))
    for wnid in wnids:
        folder = osp.join(root, 'train', wnid, 'images')
        os.makedirs(folder)
        for i in reversed(range(per_class)):
            img.save(osp.join(folder, f'{wnid}_{i}.JPEG'), format='JPEG')
        with open(osp.join(root, 'train', wnid, f'{wnid}_boxes.txt'),
                  'w') as f:
            f.write('ignored\n')
    os.makedirs(osp.join(root, 'val', 'images'))
    val_labels = val_labels or [WNIDS[2], WNIDS[0], WNIDS[2], WNIDS[1]]
    with open(osp.join(root, 'val', 'val_annotations.txt'), 'w') as f:
        for i, wnid in enumerate(val_labels):
            name = f'val_{i}.JPEG'
            img.save(osp.join(root, 'val', 'images', name), format='JPEG')
            f.write(f'{name}\t{wnid}\t0\t0\t7\t7\n')
    return root


def brute_force_expectation(root):
    wnids = _read(osp.join(root, 'wnids.txt')).split()
    train = []
    for dirpath, _, files in os.walk(osp.join(root, 'train')):
        for name in files:
            if name.endswith('.JPEG'):
                rel = osp.relpath(osp.join(dirpath, name), root)
                wnid = rel.split(os.sep)[1]
                train.append((rel.replace(os.sep, '/'), wnids.index(wnid)))
    val = []
    for line in _read(osp.join(root, 'val', 'val_annotations.txt')).splitlines():
        name, wnid = line.split('\t')[:2]
        val.append(('val/images/' + name, wnids.index(wnid)))
    return wnids, train, val


def read_ann(path):
    items = []
    for line in _read(path).splitlines():
        rel, label = line.rstrip('\n').rsplit(' ', 1)
        items.append((rel, int(label)))
    return items


def test_tiny_imagenet_cli(tmp_path, capsys):
    root = make_tiny_imagenet(str(tmp_path / 'tiny-imagenet-200'))
    code, out, err = run_main(DATA_CLI, capsys, root)
    assert code == 0, err
    assert 'train: 9 lines' in out
    wnids, train, val = brute_force_expectation(root)

    assert _read(osp.join(root, 'meta', 'classes.txt')).split() == wnids
    got_train = read_ann(osp.join(root, 'meta', 'train.txt'))
    got_val = read_ann(osp.join(root, 'meta', 'val.txt'))
    assert sorted(got_train) == sorted(train) and len(got_train) == 9
    assert sorted(got_val) == sorted(val) and len(got_val) == 4
    # documented order: classes as in wnids.txt, files sorted by name
    assert got_train == sorted(train, key=lambda t: (t[1], t[0]))
    assert got_val == sorted(val)
    for rel, _ in got_train + got_val:
        assert osp.isfile(osp.join(root, rel))


def test_tiny_imagenet_builds_mmpretrain_custom_dataset(tmp_path):
    pytest.importorskip('mmpretrain.datasets',
                        reason='mmpretrain (needs mmcv) is not importable')
    from mmpretrain.registry import DATASETS
    root = make_tiny_imagenet(str(tmp_path / 'tiny'))
    convert_tiny_imagenet(root)
    _, train, val = brute_force_expectation(root)
    for split, expected in (('train', train), ('val', val)):
        dataset = DATASETS.build(
            dict(
                type='mmpretrain.CustomDataset',
                data_root=root,
                data_prefix='',
                ann_file=f'meta/{split}.txt',
                classes=osp.join(root, 'meta', 'classes.txt'),
                pipeline=[]))
        assert list(dataset.CLASSES) == WNIDS
        got = [(osp.relpath(info['img_path'], root).replace(os.sep, '/'),
                int(info['gt_label']))
               for info in map(dataset.get_data_info, range(len(dataset)))]
        assert sorted(got) == sorted(expected)


def test_tiny_imagenet_errors(tmp_path, capsys):
    root = make_tiny_imagenet(str(tmp_path / 'a'))
    os.remove(osp.join(root, 'wnids.txt'))
    with pytest.raises(FileNotFoundError, match='wnids.txt'):
        convert_tiny_imagenet(root)
    code, _, err = run_main(DATA_CLI, capsys, root)
    assert code == 1 and 'wnids.txt' in err

    root = make_tiny_imagenet(str(tmp_path / 'b'))
    os.rename(osp.join(root, 'train', WNIDS[1]),
              osp.join(root, 'train', 'elsewhere'))
    with pytest.raises(ValueError, match='elsewhere'):
        collect_tiny_imagenet(root)
    os.rename(osp.join(root, 'train', 'elsewhere'),
              osp.join(root, 'elsewhere'))
    with pytest.raises(FileNotFoundError, match=WNIDS[1]):
        collect_tiny_imagenet(root)

    root = make_tiny_imagenet(
        str(tmp_path / 'c'), val_labels=[WNIDS[0], 'n99999999'])
    with pytest.raises(ValueError, match='n99999999'):
        collect_tiny_imagenet(root)

    root = make_tiny_imagenet(str(tmp_path / 'd'))
    os.remove(osp.join(root, 'val', 'images', 'val_2.JPEG'))
    with pytest.raises(FileNotFoundError, match='val_2.JPEG'):
        collect_tiny_imagenet(root)
    os.remove(osp.join(root, 'val', 'val_annotations.txt'))
    with pytest.raises(FileNotFoundError, match='val_annotations.txt'):
        collect_tiny_imagenet(root)


def _read(path) -> str:
    with open(path) as f:
        return f.read()
