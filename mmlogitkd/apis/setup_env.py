# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Fill the registries: the one function that imports every floor of the
package, hence on the top floor."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every module of ``mmlogitkd`` so that its registries are full.

    Args:
        init_default_scope (bool): Whether to make ``'mmlogitkd'`` the
            current default scope, so that configs may name our types without
            a scope prefix. Defaults to True.
    """
    import mmlogitkd.datasets  # noqa: F401,F403
    import mmlogitkd.distillers  # noqa: F401,F403
    import mmlogitkd.engine  # noqa: F401,F403
    import mmlogitkd.evaluation  # noqa: F401,F403
    import mmlogitkd.losses  # noqa: F401,F403
    import mmlogitkd.models  # noqa: F401,F403

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance('mmlogitkd', scope_name='mmlogitkd')
    elif current.scope_name != 'mmlogitkd':
        warnings.warn(f'The current default scope "{current.scope_name}" is '
                      'not "mmlogitkd"; `register_all_modules` makes a new '
                      'default scope named "mmlogitkd-<time>".')
        name = f'mmlogitkd-{datetime.datetime.now()}'
        DefaultScope.get_instance(name, scope_name='mmlogitkd')
