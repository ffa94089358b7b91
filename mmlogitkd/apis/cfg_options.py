# Copyright (c) mmlogitkd contributors. All rights reserved.
"""``--cfg-options`` of the tools: mmengine's ``DictAction``, with the
values it cannot read refused at argument parsing, naming the option and
the form to use instead.

mmengine's ``DictAction`` reads ``key=value`` words whose value is a number,
a bool, ``None``, a string, a list ``[a,b]`` or a tuple ``(a,b)``. A dict
value fails in it, late or silently: ``kd=dict(type=KDLoss,T=4)`` ends in a
``RecursionError``, ``kd=dict(type=KDLoss)`` and ``kd={type:KDLoss}`` become
the *string* ``'dict(type=KDLoss)'``, and ``kd=dict(type=KDLoss, T=4)``
(two shell words) an ``AssertionError`` about brackets. A dict is set
through its keys, dotted (``kd.type=KDLoss kd.T=4``), which
``Config.merge_from_dict`` merges into the config's dict exactly as a dict
value would be merged.
"""
import ast
import re
from argparse import ArgumentParser, Namespace
from typing import List, Optional, Sequence, Tuple

from mmengine.config import DictAction

__all__ = ['CfgOptionsAction', 'cfg_options_error']

#: What ``--cfg-options`` accepts, for messages.
FORMS = ('key=value pairs, where a value is a number, true/false, None, a '
         'string, a list [a,b] or a tuple (a,b)')

#: A dict written as ``dict(...)`` or ``{key: ...}`` at the start of a value
#: or of an item of a list / tuple (not the ``{}`` of a string template such
#: as ``filename_tmpl=epoch_{}.pth``).
_DICT_VALUE = re.compile(r'(^|[\[(,])\s*(dict\s*\(|\{[^}]*:)')


def _literal(node: ast.AST) -> str:
    """``node`` as one shell-word value ``DictAction`` reads back."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        if re.search(r'[\s,\[\]()\'"]', node.value) or not node.value:
            return repr(node.value)
        return node.value
    return ast.unparse(node).replace(' ', '')


def _dict_items(node: ast.AST) -> Optional[list]:
    """``[(key, value node)]`` of ``dict(k=v, ...)`` / ``{'k': v, ...}``, or
    None for anything else."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == 'dict' and not node.args
            and all(kw.arg for kw in node.keywords)):
        return [(kw.arg, kw.value) for kw in node.keywords]
    if isinstance(node, ast.Dict) and all(
            isinstance(k, (ast.Name, ast.Constant)) for k in node.keys):
        return [(k.id if isinstance(k, ast.Name) else str(k.value), v)
                for k, v in zip(node.keys, node.values)]
    return None


def _dotted(key: str, node: ast.AST) -> Optional[List[str]]:
    """``key.sub=value`` words equivalent to the dict ``node``, nested
    dicts flattened; None when some value is no plain one (a list of dicts,
    say)."""
    items = _dict_items(node)
    if items is None and isinstance(node, (ast.List, ast.Tuple)) and any(
            _dict_items(item) is not None for item in node.elts):
        items = [(str(i), item) for i, item in enumerate(node.elts)]
    if items is None:
        return None if _DICT_VALUE.search(_literal(node)) else [
            f'{key}={_literal(node)}'
        ]
    words: List[str] = []
    for sub, value in items:
        more = _dotted(f'{key}.{sub}', value)
        if more is None:
            return None
        words += more
    return words


def _parse_dict_value(words: Sequence[str]) -> Tuple[Optional[ast.AST], int]:
    """The dict the shell split into ``words`` (``kd=dict(type=A,``
    ``T=4)``), as an expression, and how many words it took; ``(None, 1)``
    when no prefix of them parses."""
    text = ''
    for count, word in enumerate(words, 1):
        text = f'{text} {word}' if text else word
        try:
            return ast.parse(text, mode='eval').body, count
        except SyntaxError:
            continue
    return None, 1


def cfg_options_error(values: Sequence[str]) -> Optional[str]:
    """Why ``values`` (the words after ``--cfg-options``) cannot be read by
    mmengine's ``DictAction``, with the form to use; None when they can.

    Args:
        values (Sequence[str]): The words of the option, as the shell split
            them.

    Returns:
        str | None: The message (without the option's name).
    """
    for i, word in enumerate(values):
        if '=' not in word:
            return (f'"{word}" is not key=value. The option takes {FORMS}; '
                    'a value with spaces is one quoted shell word, and '
                    'positional arguments go before --cfg-options.')
        key, value = word.split('=', 1)
        quoted = len(value) > 1 and value[0] == value[-1] and value[0] in '\'"'
        if quoted or not _DICT_VALUE.search(value):
            continue
        node, count = _parse_dict_value([value, *values[i + 1:]])
        given = ' '.join([word, *values[i + 1:i + count]])
        dotted = _dotted(key, node) if node is not None else None
        if dotted:
            where = ('; items of a list are set by index in the list the '
                     'config has (to replace a whole list, write it in a '
                     'config file that inherits this one with _base_)'
                     if isinstance(node, (ast.List, ast.Tuple)) else '')
            instead = (f'set its keys one by one, dotted{where}:\n'
                       '  --cfg-options ' + ' '.join(dotted))
        else:
            instead = (f'set its keys one by one, dotted ({key}.type=... '
                       f'{key}.<name>=...; items of a list by index: '
                       f'{key}.0.type=...), or write it in a config file '
                       'that inherits this one (_base_)')
        return (f'"{given}" is a dict value, which --cfg-options cannot '
                f'read (it takes {FORMS}); {instead}')
    return None


class CfgOptionsAction(DictAction):
    """mmengine's ``DictAction`` that refuses, as an argparse error naming
    the option, the values it would fail on or misread
    (:func:`cfg_options_error`)."""

    def __call__(self,
                 parser: ArgumentParser,
                 namespace: Namespace,
                 values,
                 option_string: Optional[str] = None) -> None:
        option = option_string or '--cfg-options'
        words = [values] if isinstance(values, str) else list(values or [])
        problem = cfg_options_error(words)
        if problem is None:
            try:
                super().__call__(parser, namespace, values, option_string)
                return
            except (AssertionError, ValueError, RecursionError,
                    SyntaxError) as err:
                reason = f'{type(err).__name__}: {str(err)[:200]}'
                problem = (f'"{" ".join(words)}" cannot be read '
                           f'({reason}). It takes {FORMS}; brackets must be '
                           'balanced within one shell word (quote a value '
                           'with spaces), and a dict is set through its '
                           'keys, dotted (model.distill_losses.kd.type='
                           'KDLoss).')
        parser.error(f'argument {option}: {problem}')

