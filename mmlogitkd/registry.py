# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Child registries of mmengine's roots for the ``mmlogitkd`` scope.

With ``default_scope='mmlogitkd'`` every type below is found here first, then
in mmengine's root registries. Modules of the host libraries are reached with
their scope prefix, e.g. ``type='mmpretrain.ImageClassifier'`` or
``type='mmdet.FasterRCNN'``.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import (
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
)
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import (
    RUNNER_CONSTRUCTORS as MMENGINE_RUNNER_CONSTRUCTORS,
)
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import (
    WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS,
)
from mmengine.registry import Registry

RUNNERS = Registry(
    'runner', parent=MMENGINE_RUNNERS, locations=['mmlogitkd.engine'])
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor',
    parent=MMENGINE_RUNNER_CONSTRUCTORS,
    locations=['mmlogitkd.engine'])
LOOPS = Registry('loop', parent=MMENGINE_LOOPS, locations=['mmlogitkd.engine'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, locations=['mmlogitkd.engine'])

DATASETS = Registry(
    'dataset', parent=MMENGINE_DATASETS, locations=['mmlogitkd.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler',
    parent=MMENGINE_DATA_SAMPLERS,
    locations=['mmlogitkd.datasets'])
TRANSFORMS = Registry(
    'transform', parent=MMENGINE_TRANSFORMS, locations=['mmlogitkd.datasets'])

# Losses, backbones and distillers all live in MODELS, as in mmdet/mmpretrain.
MODELS = Registry(
    'model',
    parent=MMENGINE_MODELS,
    locations=['mmlogitkd.losses', 'mmlogitkd.models', 'mmlogitkd.distillers'])
MODEL_WRAPPERS = Registry(
    'model_wrapper',
    parent=MMENGINE_MODEL_WRAPPERS,
    locations=['mmlogitkd.distillers'])
WEIGHT_INITIALIZERS = Registry(
    'weight initializer',
    parent=MMENGINE_WEIGHT_INITIALIZERS,
    locations=['mmlogitkd.models'])

OPTIMIZERS = Registry(
    'optimizer', parent=MMENGINE_OPTIMIZERS, locations=['mmlogitkd.engine'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper',
    parent=MMENGINE_OPTIM_WRAPPERS,
    locations=['mmlogitkd.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=['mmlogitkd.engine'])
PARAM_SCHEDULERS = Registry(
    'parameter scheduler',
    parent=MMENGINE_PARAM_SCHEDULERS,
    locations=['mmlogitkd.engine'])

METRICS = Registry(
    'metric', parent=MMENGINE_METRICS, locations=['mmlogitkd.evaluation'])
EVALUATOR = Registry(
    'evaluator', parent=MMENGINE_EVALUATOR, locations=['mmlogitkd.evaluation'])

TASK_UTILS = Registry(
    'task util', parent=MMENGINE_TASK_UTILS, locations=['mmlogitkd.models'])
VISUALIZERS = Registry(
    'visualizer', parent=MMENGINE_VISUALIZERS, locations=['mmlogitkd.engine'])
VISBACKENDS = Registry(
    'vis_backend', parent=MMENGINE_VISBACKENDS, locations=['mmlogitkd.engine'])
LOG_PROCESSORS = Registry(
    'log_processor',
    parent=MMENGINE_LOG_PROCESSORS,
    locations=['mmlogitkd.engine'])
