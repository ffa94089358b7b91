# Copyright (c) mmlogitkd contributors. All rights reserved.
"""TorchreidClassifier against torchreid's own network, checkpoints and
loss."""
import pytest
import torch
from mmpretrain.structures import DataSample

from mmlogitkd.models import TorchreidClassifier, reid_student_to_torchreid
from mmlogitkd.registry import MODELS
from .conftest import perturb_, torchreid_checkpoint

C = 6


def build(name='resnet18', **kwargs):
    torch.manual_seed(0)
    return MODELS.build(
        dict(type='TorchreidClassifier', name=name, num_classes=C, **kwargs))


def torchreid_net(name='resnet18'):
    from torchreid.reid.models import build_model
    return build_model(name, C, pretrained=False, use_gpu=False)


def samples(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, C, (n, ), generator=g)
    return [
        DataSample(metainfo=dict(pid=int(y) + 100, camid=i % 2,
                                 is_query=i < 2)).set_gt_label(int(y))
        for i, y in enumerate(labels)
    ], labels


@pytest.mark.parametrize('name', ['resnet18', 'osnet_x1_0'])
def test_same_network_as_torchreid(name):
    model = perturb_(build(name)).eval()
    net = torchreid_net(name)
    # torchreid's keys, exactly: its state dict loads strictly both ways
    assert set(model.state_dict()) == set(net.state_dict())
    net.load_state_dict(model.state_dict(), strict=True)
    net.eval()
    x = torch.randn(4, 3, 64, 32)
    with torch.no_grad():
        embedding = net(x)  # torchreid returns features in eval mode
        data_samples, _ = samples(4)
        out = model(x, data_samples, mode='predict')
        torch.testing.assert_close(
            torch.stack([s.pred_feature for s in out]), embedding)
        torch.testing.assert_close(
            model(x, mode='tensor'), net.classifier(embedding))
    # metainfo passes through; to_dict() is what the metric reads
    d = out[0].to_dict()
    assert d['pid'] == data_samples[0].pid and d['is_query'] is True
    assert d['pred_feature'].shape == (model.feature_dim, )


def test_loss_is_torchreids_label_smoothed_cross_entropy():
    from torchreid.reid.losses import CrossEntropyLoss
    model = build().train()
    x = torch.randn(5, 3, 64, 32)
    data_samples, labels = samples(5)
    loss = model(x, data_samples, mode='loss')
    assert set(loss) == {'loss'}
    logits = model.identity_logits(model.extract_feat(x))[0]
    ref = CrossEntropyLoss(C, use_gpu=False, label_smooth=True)(logits,
                                                                labels)
    torch.testing.assert_close(loss['loss'], ref, rtol=1e-5, atol=1e-5)
    half = build(loss_weight=0.5).identity_loss(logits, labels)['loss']
    torch.testing.assert_close(half, ref * 0.5, rtol=1e-5, atol=1e-5)


def test_osnet_cells_in_training_mode():
    """OSNet's fc has a BatchNorm1d: the cells are normalised with the
    global features' batch statistics, which alone reach the running
    statistics."""
    model = perturb_(build('osnet_x1_0')).train()
    bn = model.fc[1]
    x = torch.randn(6, 3, 64, 32)
    feature_map = model.extract_feat(x)
    state = {k: v.clone() for k, v in bn.state_dict().items()}
    logits, cells = model.identity_logits(feature_map, (1, 2))
    cells.sum().backward(retain_graph=True)  # statistics differentiable
    assert model.conv1.conv.weight.grad is not None
    after_cells = {k: v.clone() for k, v in bn.state_dict().items()}
    bn.load_state_dict(state)
    plain, none = model.identity_logits(feature_map)
    assert none is None and cells.shape == (6, C, 5)
    torch.testing.assert_close(logits, plain)
    torch.testing.assert_close(cells[..., 0], logits, rtol=1e-4, atol=1e-5)
    for k, v in bn.state_dict().items():
        torch.testing.assert_close(after_cells[k], v, msg=k)


def test_export_round_trip_through_torchreid(tmp_path):
    from torchreid.reid.utils import load_pretrained_weights
    student = perturb_(build('resnet18'))
    ckpt = reid_student_to_torchreid(student.state_dict(), epoch=3)
    path = str(tmp_path / 'student.pth')
    torch.save(ckpt, path)
    assert set(torch.load(path, weights_only=True)) == {'state_dict', 'epoch'}
    net = torchreid_net('resnet18')
    load_pretrained_weights(net, path)
    for k, v in student.state_dict().items():
        assert torch.equal(net.state_dict()[k], v), k
    with pytest.raises(ValueError, match='student alone'):
        reid_student_to_torchreid({'student.conv1.weight': torch.zeros(1)})


def test_torchreid_checkpoint_loads_strictly(tmp_path):
    from mmengine.runner import load_checkpoint
    net = perturb_(torchreid_net('resnet18'))
    path = torchreid_checkpoint(net, str(tmp_path), data_parallel=True)
    model = build('resnet18')
    load_checkpoint(model, path, strict=True,
                    revise_keys=[(r'^module\.', '')])
    for k, v in net.state_dict().items():
        assert torch.equal(model.state_dict()[k], v), k


def test_pretrained_weights_never_downloaded(tmp_path, monkeypatch):
    """``pretrained`` loads what matches by name and shape from a local
    file (as torchreid loads ImageNet weights); build_model is always
    called with pretrained=False."""
    import torchreid.reid.models as models
    imagenet = perturb_(torchreid_net('resnet18')).state_dict()
    imagenet = {k: v for k, v in imagenet.items() if 'classifier' not in k}
    imagenet['fc.weight'] = torch.zeros(1000, 512)  # torchvision's head
    path = str(tmp_path / 'resnet18-imagenet.pth')
    torch.save(imagenet, path)
    calls = []
    original = models.build_model

    def spy(*args, **kwargs):
        calls.append(kwargs.get('pretrained'))
        return original(*args, **kwargs)

    monkeypatch.setattr(models, 'build_model', spy)
    model = build('resnet18', pretrained=path)
    classifier = model.classifier.weight.clone()
    model.init_weights()
    assert calls == [False]
    assert torch.equal(model.conv1.weight, imagenet['conv1.weight'])
    assert torch.equal(model.classifier.weight, classifier)

    with pytest.raises(FileNotFoundError, match='resnet18-5c106cde'):
        build('resnet18', pretrained=str(tmp_path / 'none.pth')).init_weights()

    # mmengine's Pretrained init reads a torchreid checkpoint as well
    net = perturb_(torchreid_net('resnet18'), seed=2)
    ckpt = torchreid_checkpoint(net, str(tmp_path), data_parallel=True)
    model = build(init_cfg=dict(type='Pretrained', checkpoint=ckpt))
    model.init_weights()
    for k, v in net.state_dict().items():
        assert torch.equal(model.state_dict()[k], v), k


def test_unsupported_models_fail_at_build():
    with pytest.raises(KeyError):
        build('not_a_model')
    with pytest.raises(TypeError, match='not supported'):
        build('pcb_p6')  # part-based: no single classifier


def test_default_preprocessor_is_torchreids():
    model = build()
    pre = model.data_preprocessor
    assert type(pre).__name__ == 'ClsDataPreprocessor'
    torch.testing.assert_close(pre.mean.flatten(),
                               torch.tensor([123.675, 116.28, 103.53]))
    assert pre.to_rgb
    assert isinstance(model, TorchreidClassifier)
