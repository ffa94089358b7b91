# Copyright (c) mmlogitkd contributors. All rights reserved.
from mmengine.hooks import Hook

from mmlogitkd.registry import HOOKS


@HOOKS.register_module()
class TeacherCacheHook(Hook):
    """Before training, checks what only the built data loader knows
    against the distiller's teacher cache: the dataset length (the cache's
    ``N``), its samples in order with their labels (the cache's
    ``data_fingerprint``: a cache of another split of the same length is
    refused) and that the dataset replays the cache's epochs (``cycle``).

    ``tools/train.py`` adds it with a ``model.teacher_cache``
    (:func:`~mmlogitkd.distillers.teacher_cache.check_teacher_cache_config`,
    which checks the seed and the pipeline before the model is built; the
    distiller checks the teacher checkpoint and the classes). The check is
    the distiller's teacher source's
    (:meth:`~mmlogitkd.distillers.CachedTeacher.check_train_dataset`; an
    online teacher replays nothing).
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        model = runner.model
        model = getattr(model, 'module', model)
        source = getattr(model, 'teacher_source', None)
        if source is None:  # not a distiller
            return
        source.check_train_dataset(runner.train_dataloader.dataset)
