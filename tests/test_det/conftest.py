# Copyright (c) mmlogitkd contributors. All rights reserved.
import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub

from mmlogitkd.apis import register_all_modules
from mmlogitkd.distillers import resolve_cfg_path

register_all_modules()

NUM_CLASSES = 10
IMG = 64


def small_frcnn(depth=18, caffe=False, num_classes=NUM_CLASSES):
    """mmdet's Faster R-CNN FPN (its own model file) with a ResNet-18, no
    pretrained weights, sized for 64x64 images; ``caffe=True`` gives the
    Detectron2-style input (BGR, std 1) of the paper's teacher."""
    path, _ = resolve_cfg_path('mmdet::_base_/models/faster-rcnn_r50_fpn.py')
    model = copy.deepcopy(Config.fromfile(path).model.to_dict())
    model['_scope_'] = 'mmdet'
    model['backbone'].update(depth=depth, init_cfg=None)
    model['neck']['in_channels'] = [64, 128, 256, 512]
    model['roi_head']['bbox_head']['num_classes'] = num_classes
    # few RoIs and proposals: fast, and still a mix of fg and bg
    model['train_cfg']['rpn_proposal'].update(nms_pre=200, max_per_img=100)
    model['train_cfg']['rcnn']['sampler']['num'] = 64
    if caffe:
        model['backbone']['style'] = 'caffe'
        model['data_preprocessor'].update(
            mean=[103.53, 116.28, 123.675], std=[1.0, 1.0, 1.0],
            bgr_to_rgb=False)
    return model


@pytest.fixture(autouse=True)
def fresh_message_hub():
    hub = MessageHub.get_current_instance()
    for key in ('epoch', 'iter', 'max_epochs', 'max_iters'):
        hub.runtime_info.pop(key, None)
    yield


def det_batch(num_images=2, seed=0, with_gt=(True, True)):
    """A raw mmdet batch (what the dataloader yields) of random images with
    a few boxes each; ``with_gt[i] = False`` gives image i no boxes."""
    from mmdet.structures import DetDataSample
    from mmdet.structures.bbox import HorizontalBoxes
    from mmengine.structures import InstanceData
    g = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for i in range(num_images):
        inputs.append(torch.randint(0, 256, (3, IMG, IMG), generator=g,
                                    dtype=torch.uint8))
        n = 3 if with_gt[i] else 0
        xy = torch.rand(n, 2, generator=g) * (IMG - 24)
        wh = 8 + torch.rand(n, 2, generator=g) * 16
        gt = InstanceData()
        gt.bboxes = HorizontalBoxes(torch.cat([xy, xy + wh], 1))
        gt.labels = torch.randint(0, NUM_CLASSES, (n, ), generator=g)
        sample = DetDataSample(metainfo=dict(
            img_shape=(IMG, IMG), ori_shape=(IMG, IMG), scale_factor=(1., 1.),
            img_id=i))
        sample.gt_instances = gt
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)
