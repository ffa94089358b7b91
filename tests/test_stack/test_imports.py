# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The pinned stack imports together, in one process, after mmlogitkd."""
import subprocess
import sys

import torch


def _run(code: str) -> str:
    result = subprocess.run([sys.executable, '-c', code],
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_whole_stack_imports_in_one_process():
    out = _run('import mmlogitkd, mmdet.models, mmpretrain.models, torchreid, '
               'torchvision\n'
               'from mmcv.ops import RoIAlign, nms\n'
               'import torch, mmcv, mmdet, mmpretrain, mmengine\n'
               'print(torch.__version__, mmcv.__version__, mmdet.__version__,'
               ' mmpretrain.__version__, mmengine.__version__)')
    torch_v, mmcv_v, mmdet_v, mmpre_v, mmengine_v = out.split()
    assert torch_v.startswith('2.13.0')
    assert (mmcv_v, mmdet_v, mmpre_v, mmengine_v) == ('2.1.0', '3.3.0',
                                                       '1.2.0', '0.10.7')


def test_torchreid_is_the_repackaged_layout():
    out = _run('import mmlogitkd, torchreid\n'
               'from torchreid.reid.models import build_model\n'
               'from torchreid.reid.metrics import evaluate_rank\n'
               'm = build_model("resnet18", num_classes=4, pretrained=False)\n'
               'print(type(m).__name__)')
    assert out.strip() == 'ResNet'


def test_registry_scopes():
    from mmlogitkd.apis import register_all_modules
    from mmlogitkd.registry import MODELS
    register_all_modules()
    assert MODELS.scope == 'mmlogitkd'
    assert MODELS.get('ClsLogitDistiller') is not None
    # host libraries stay reachable through their scope prefix
    assert MODELS.get('mmpretrain.ImageClassifier').__name__ == \
        'ImageClassifier'
    assert MODELS.get('mmdet.FasterRCNN').__name__ == 'FasterRCNN'
    assert torch.__version__.startswith('2.13.0')
