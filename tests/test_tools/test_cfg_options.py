# Copyright (c) mmlogitkd contributors. All rights reserved.
"""``--cfg-options`` with a value mmengine's ``DictAction`` cannot read (a
dict) fails at argument parsing in every tool that takes it, naming the
option and the dotted-key form to use instead; the forms it reads are
parsed as before."""
import importlib.util
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: tool -> the arguments its parser requires besides --cfg-options
TOOLS = {
    'train.py': ['cfg.py'],
    'test.py': ['cfg.py', 'ckpt.pth'],
    'cache_teacher_logits.py': ['cfg.py', '--epochs', '1'],
}


def _parse_args(tool):
    path = osp.join(ROOT, 'tools', tool)
    spec = importlib.util.spec_from_file_location(
        f'mmlogitkd_tool_{tool[:-3]}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.parse_args


@pytest.fixture(scope='module', params=sorted(TOOLS))
def tool(request):
    return request.param, _parse_args(request.param)


def _refusal(parse_args, argv, capsys):
    with pytest.raises(SystemExit) as info:
        parse_args(argv)
    assert info.value.code == 2  # an argparse error, not a traceback
    return capsys.readouterr().err


@pytest.mark.parametrize(
    'words, dotted',
    [
        # RecursionError in DictAction
        (['model.distill_losses.kd=dict(type=KDLoss,temperature=4)'],
         'model.distill_losses.kd.type=KDLoss '
         'model.distill_losses.kd.temperature=4'),
        # read as the string 'dict(type=KDLoss)' by DictAction
        (['model.distill_losses.kd=dict(type=KDLoss)'],
         'model.distill_losses.kd.type=KDLoss'),
        # split by the shell: "Imbalanced brackets" in DictAction
        (['model.distill_losses.kd=dict(type=KDLoss,', 'temperature=4)'],
         'model.distill_losses.kd.type=KDLoss '
         'model.distill_losses.kd.temperature=4'),
        (['model.distill_warmup={length:2,by_epoch:False}'],
         'model.distill_warmup.length=2 model.distill_warmup.by_epoch=False'),
    ])
def test_dict_value_refused_with_dotted_form(tool, words, dotted, capsys):
    name, parse_args = tool
    err = _refusal(parse_args, TOOLS[name] + ['--cfg-options', *words],
                   capsys)
    assert 'argument --cfg-options' in err
    assert 'dict value' in err
    assert f'--cfg-options {dotted}' in err
    assert 'RecursionError' not in err and 'Traceback' not in err


def test_not_key_value_refused(tool, capsys):
    name, parse_args = tool
    err = _refusal(parse_args, ['--cfg-options', 'a=1'] + TOOLS[name],
                   capsys)
    assert 'argument --cfg-options' in err
    assert f'"{TOOLS[name][0]}" is not key=value' in err


def test_readable_forms_unchanged(tool):
    name, parse_args = tool
    args = parse_args(TOOLS[name] + [
        '--cfg-options', 'model.teacher_ckpt=t.pth', 'train_cfg.max_epochs=3',
        'model.distill_losses.kd.type=KDLoss', 'a.b=[1,2]', 'a.c=(1,2)',
        'default_hooks.checkpoint.filename_tmpl=epoch_{}.pth',
        'model.allow_unsafe_checkpoint=True', 'load_from=None'
    ])
    assert args.cfg_options == {
        'model.teacher_ckpt': 't.pth',
        'train_cfg.max_epochs': 3,
        'model.distill_losses.kd.type': 'KDLoss',
        'a.b': [1, 2],
        'a.c': (1, 2),
        'default_hooks.checkpoint.filename_tmpl': 'epoch_{}.pth',
        'model.allow_unsafe_checkpoint': True,
        'load_from': None,
    }


@pytest.mark.e2e
@pytest.mark.e2e  # starts tools/train.py (which stops at its arguments)
def test_train_tool_from_the_shell(tmp_path):
    """The whole tool, as a user runs it: exit status 2 before the config
    is even read."""
    result = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'train.py'),
         str(tmp_path / 'missing.py'), '--cfg-options',
         'model.distill_losses.kd=dict(type=KDLoss,loss_weight=1)'],
        capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 2, result.stderr
    assert ('--cfg-options model.distill_losses.kd.type=KDLoss '
            'model.distill_losses.kd.loss_weight=1') in result.stderr
    assert 'Traceback' not in result.stderr
