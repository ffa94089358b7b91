# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Readable errors for a type no registry knows: the closest registered
names, with the config key that asked for it."""
import difflib
import re
from typing import List, Optional

__all__ = ['UnknownTypeError', 'suggest_registered', 'explain_unknown_type']

#: mmengine's message when a registry does not know a type
_NOT_REGISTERED = re.compile(r"(?P<name>[^\s']+) is not in the "
                             r'(?P<scope>[\w.-]+)::(?P<registry>[\w -]+?) '
                             r'registry')


class UnknownTypeError(KeyError):
    """A config names a type that no registry knows; the message gives the
    closest registered names. A ``KeyError``, as mmengine's own, whose text
    prints as it is (a plain ``KeyError`` prints its repr)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ''


def _walk_registry(registry):
    yield registry
    for child in registry.children.values():
        yield from _walk_registry(child)


def _find_registry(registry_name: str, scope: str):
    """The registry of ``scope`` among mmengine's root registries named
    ``registry_name`` (``'model'``, ``'dataset'``, ...), or None."""
    import mmengine.registry as mm_registry
    for root in vars(mm_registry).values():
        if isinstance(root, mm_registry.Registry) and root.parent is None \
                and root.name == registry_name:
            found = root._search_child(scope)
            if found is not None:
                return found
    return None


def suggest_registered(name: str, registry, n: int = 5) -> List[str]:
    """Registered names closest to ``name``, as a config would write them.

    Candidates are the names ``registry`` resolves without a prefix (its
    own and its parents') and the names of the other scopes with their
    ``scope.`` prefix; an exact match in another scope comes first (the
    prefix was forgotten), then :func:`difflib.get_close_matches` ignoring
    case.
    """
    reachable = set()
    node = registry
    while node is not None:
        reachable.add(id(node))
        node = node.parent
    root = registry._get_root_registry()
    seen: set = set()
    while True:  # importing a location may add child registries
        nodes = list(_walk_registry(root))
        fresh = [node for node in nodes if id(node) not in seen]
        if not fresh:
            break
        for node in fresh:
            seen.add(id(node))
            try:
                node.import_from_location()
            except Exception:  # a broken optional package must not hide it
                pass
    candidates = {}
    for node in nodes:
        for key in node.module_dict:
            full = key if id(node) in reachable else f'{node.scope}.{key}'
            candidates.setdefault(full.lower(), full)
    short = name.split('.', 1)[-1].lower()
    exact = [
        full for low, full in candidates.items()
        if low.split('.', 1)[-1] == short and low != name.lower()
    ]
    close = difflib.get_close_matches(name.lower(), candidates, n=n)
    return list(dict.fromkeys(exact + [candidates[c] for c in close]))[:n]


def explain_unknown_type(err: BaseException,
                         where: str = '') -> Optional[UnknownTypeError]:
    """An :class:`UnknownTypeError` naming the closest registered types when
    ``err`` is mmengine's "X is not in the S::R registry" ``KeyError``, else
    None (another error: leave it alone).

    Args:
        err (BaseException): The error of a registry build.
        where (str): What was being built, e.g. ``'model.student'``.
    """
    if not isinstance(err, KeyError) or isinstance(err, UnknownTypeError):
        return None
    match = _NOT_REGISTERED.search(str(err))
    if match is None:
        return None
    name, scope = match.group('name'), match.group('scope')
    registry_name = match.group('registry')
    registry = _find_registry(registry_name, scope)
    close = suggest_registered(name, registry) if registry else []
    hint = ('Did you mean ' + ', '.join(f'"{c}"' for c in close) + '?'
            if close else 'No registered name is close to it.')
    prefix = f'{where}: ' if where else ''
    return UnknownTypeError(
        f'{prefix}type "{name}" is not in the {scope}::{registry_name} '
        f'registry. {hint} Names of other libraries need their scope prefix '
        '(mmpretrain., mmdet., mmlogitkd.); a custom module must be imported '
        '(custom_imports).')
