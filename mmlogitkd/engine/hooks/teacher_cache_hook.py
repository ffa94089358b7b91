# Copyright (c) mmlogitkd contributors. All rights reserved.
from mmengine.hooks import Hook

from mmlogitkd.registry import HOOKS


@HOOKS.register_module()
class TeacherCacheHook(Hook):
    """Before training, checks what only the built data loader knows
    against the distiller's teacher cache: the dataset length (the cache's
    ``N``) and that the dataset replays the cache's epochs (``cycle``).

    ``tools/train.py`` adds it with a ``model.teacher_cache``
    (:func:`~mmlogitkd.distillers.teacher_cache.check_teacher_cache_config`,
    which checks the seed and the pipeline before the model is built; the
    distiller checks the teacher checkpoint and the classes).
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        model = runner.model
        model = getattr(model, 'module', model)
        cache = getattr(model, 'teacher_cache', None)
        if cache is None:
            return
        dataset = runner.train_dataloader.dataset
        cache.check('dataset_length', len(dataset),
                    'this run (len(train_dataloader.dataset))')
        cycle = getattr(dataset, 'cycle', None)
        if cycle != cache.epochs:
            raise ValueError(
                f'teacher_cache "{cache.cache_dir}": the training dataset '
                f'replays cycle={cycle} epochs of augmentation, the cache '
                f'holds {cache.epochs}: wrap it in SeededDataset(cycle='
                f'{cache.epochs}) (tools/train.py does).')
