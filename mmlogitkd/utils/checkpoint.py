# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Checkpoints are data: one way to read them, one way to write them.

Every checkpoint the toolkit reads (``teacher_ckpt``, ``student_ckpt``,
``load_from``, ``--resume``, ``tools/test.py``, the converters of
``tools/model_converters/``) goes through :func:`load_checkpoint_file`:

- ``torch.load(weights_only=True)`` with the allow-list of the plain types
  mmengine's and our checkpoints contain
  (:func:`mmlogitkd.utils.safe_globals.mmengine_safe_globals`), whether or
  not :func:`~mmlogitkd.utils.checkpoint_hooks.install_checkpoint_hooks`
  ran. A file that needs any other Python object is refused *before*
  anything from it runs, with an :class:`UnsafeCheckpointError` naming the
  file, the offending global(s) and the single switch that opts in for a
  file the user trusts (``allow_unsafe=True`` here;
  ``model.allow_unsafe_checkpoint``, the top-level
  ``allow_unsafe_checkpoint`` or ``--allow-unsafe-checkpoint`` for the
  config / tools). There is no environment default on purpose: a trusted
  file is trusted by an explicit argument of the run that loads it.
- A file that is no checkpoint at all (random bytes, a text file, a
  truncated download or a half-written save) raises a
  :class:`CorruptCheckpointError` saying so, with the file named; it is never
  reported as an unsafe pickle, and torch's hint to re-run with safe loading
  off is never passed on (it would be wrong advice for a broken file and
  dangerous advice for a malicious one).
- Other formats are read by the reader their module registers with
  :func:`register_checkpoint_reader`, behind the same entry point and error
  types: Detectron2's model-zoo ``.pkl`` files keep their own restricted
  unpickler (``fmt='detectron2'``, registered by
  :mod:`mmlogitkd.models.converters.detectron2`). A Detectron2 ``.pkl``
  read as a ``torch.save`` file is refused, opt-in or not, naming the
  ``tools/model_converters/detectron2_to_mmdet.py`` command that converts
  it; the format is told by disassembling the pickle, before anything is
  unpickled. The opt-in never unpickles a file that cannot be a
  ``torch.save`` checkpoint (a plain pickle without torch's header).

Writes are atomic (:func:`atomic_save`, :func:`atomic_write_bytes`, and
mmengine's local file backend once
:func:`~mmlogitkd.utils.checkpoint_hooks.install_checkpoint_hooks` ran): the
bytes go to a temporary file in the destination folder, which is renamed
over the destination once complete. A run killed while saving leaves the
previous checkpoint as it was, and :func:`find_resumable_checkpoint` only
ever returns a complete file.
"""
import contextlib
import hashlib
import io
import os
import os.path as osp
import pickle
import pickletools
import re
import shlex
import warnings
import zipfile
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
)

import torch

from .checkpoint_errors import (
    CheckpointError,
    CorruptCheckpointError,
    UnsafeCheckpointError,
)
from .safe_globals import mmengine_safe_globals

__all__ = [
    'CheckpointError', 'CorruptCheckpointError', 'UnsafeCheckpointError',
    'load_checkpoint_file', 'check_checkpoint_file', 'trusted_checkpoints',
    'is_trusted_checkpoint', 'register_checkpoint_reader', 'atomic_save',
    'atomic_write_bytes', 'find_resumable_checkpoint', 'state_dict_sha256',
    'pickle_top_level_keys'
]

#: How to opt in when nothing more specific is known (a direct API call).
DEFAULT_OPT_IN = 'pass allow_unsafe=True'

#: The bytes a zip archive (``torch.save``'s format since torch 1.6) starts
#: with: a local file header, or the end record of an empty archive.
_ZIP_MAGIC = (b'PK\x03\x04', b'PK\x05\x06')

#: Messages of torch's weights-only unpickler that mean "this file asks for
#: something outside the allow-list", as opposed to "these bytes are no
#: pickle". Everything else is reported as a damaged file.
_UNSAFE_PATTERNS = ('GLOBAL', 'global', 'Can only build',
                    'Can only create new object', 'reduce for unrecognized',
                    'is not allowed', 'allowlist', 'blocked')


_TRUSTED: set = set()

#: ``fmt`` -> ``reader(path, allow_unsafe)`` for the formats other than
#: ``torch.save``'s, filled by :func:`register_checkpoint_reader`.
_READERS: Dict[str, Callable[[str, bool], Any]] = {}

#: The converter of Detectron2 model-zoo ``.pkl`` files, where refusals of
#: one read as a ``torch.save`` file point.
_DETECTRON2_CONVERTER = 'tools/model_converters/detectron2_to_mmdet.py'

#: The ops that push an int: how torch's legacy format starts (its magic
#: number, pickled alone).
_INT_OPS = ('INT', 'BININT', 'BININT1', 'BININT2', 'LONG', 'LONG1', 'LONG4')
_STRING_OPS = ('SHORT_BINUNICODE', 'BINUNICODE', 'BINUNICODE8', 'UNICODE',
               'SHORT_BINSTRING', 'BINSTRING', 'STRING')


# --------------------------------------------------------------------------
# Opting in for files the user trusts
# --------------------------------------------------------------------------


def _trust_key(path: str) -> str:
    if _is_url(path):
        return path
    return osp.realpath(osp.expanduser(str(path)))


def is_trusted_checkpoint(path: str) -> bool:
    """Whether ``path`` was named trusted by :func:`trusted_checkpoints`."""
    return _trust_key(path) in _TRUSTED


@contextlib.contextmanager
def trusted_checkpoints(paths: Iterable[Optional[str]]) -> Iterator[None]:
    """Let loads through mmengine (``load_from``, ``resume``) read exactly
    these files without the allow-list, for the duration of the block.

    ``tools/train.py`` uses it for the checkpoint of ``load_from`` / the
    resumed run when the config sets ``allow_unsafe_checkpoint=True``;
    other files loaded in the same run (e.g. a backbone's ``init_cfg``
    checkpoint) stay under safe loading.
    """
    keys = {_trust_key(p) for p in paths if p}
    new = keys - _TRUSTED
    _TRUSTED.update(new)
    try:
        yield
    finally:
        _TRUSTED.difference_update(new)


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------


def _is_url(path: str) -> bool:
    return isinstance(path, str) and path.startswith(('http://', 'https://'))


def _scheme_loader(path: str) -> Optional[Callable]:
    """mmengine's loader of a model-zoo name (``torchvision://``,
    ``open-mmlab://``, ``s3://``, ...), which resolves it (to a URL read with
    torch's safe default); None for local paths and http(s) URLs, which are
    ours."""
    if not isinstance(path, str) or '://' not in path or _is_url(path):
        return None
    from mmengine.runner.checkpoint import CheckpointLoader
    for prefix in sorted(CheckpointLoader._schemes, key=len, reverse=True):
        if prefix and path.startswith(prefix) and not prefix.startswith(
                ('http://', 'https://')):
            return CheckpointLoader._schemes[prefix]
    return None


def register_checkpoint_reader(fmt: str,
                               reader: Callable[[str, bool], Any]) -> None:
    """Let :func:`load_checkpoint_file` read format ``fmt`` with ``reader``.

    The module that knows a format registers it (as
    :mod:`mmlogitkd.models.converters.detectron2` does for ``'detectron2'``),
    so this module needs none of them.

    Args:
        fmt (str): The name callers pass as ``fmt``; not ``'torch'``.
        reader (Callable): ``reader(path, allow_unsafe) -> object`` for an
            existing local file; raises :class:`UnsafeCheckpointError` for a
            file it refuses and :class:`CorruptCheckpointError` for a damaged
            one.
    """
    if fmt == 'torch':
        raise ValueError('fmt "torch" is read by load_checkpoint_file itself')
    _READERS[fmt] = reader


def _allow_list(extra: Sequence[Any] = ()):
    """The types safe loading allows here: mmengine's
    (:func:`~mmlogitkd.utils.safe_globals.mmengine_safe_globals`) and
    ``extra``, for the duration of a ``with`` block.

    Only the types not allowed already are added (and removed again):
    ``torch.serialization.safe_globals`` removes on exit whatever it was
    given, including types that
    :func:`~mmlogitkd.utils.checkpoint_hooks.install_checkpoint_hooks`
    allowed for the whole process.
    """
    present = set(torch.serialization.get_safe_globals())
    missing = [
        item for item in mmengine_safe_globals() + list(extra)
        if item not in present
    ]
    return torch.serialization.safe_globals(missing)


def _describe(what: str, path: str) -> str:
    return f'{what} "{path}"' if what else f'"{path}"'


def _opt_in_sentence(opt_in: Optional[str]) -> str:
    return (' If you trust this file (unpickling it runs whatever code it '
            f'names), opt in explicitly: {opt_in or DEFAULT_OPT_IN}.')


def _reason(err: BaseException, limit: int = 240) -> str:
    """A short, safe account of ``err``: its first line, without torch's
    advice to turn safe loading off."""
    # torch.load re-raises the weights-only unpickler's error with a long
    # explanation "from None"; the original stays in __context__.
    inner = err.__context__ if isinstance(
        err, pickle.UnpicklingError) and err.__context__ else err
    text = str(inner).strip().splitlines()[0] if str(inner).strip() else ''
    if isinstance(inner, KeyError):
        text = f'unknown memo key {text}'
    for marker in ('Weights only load failed', 'weights_only',
                   'This can happen if', 'If you are seeing this error'):
        cut = text.find(marker)
        if cut >= 0:
            text = text[:cut].rstrip(' .;:,')
    if len(text) > limit:
        text = text[:limit] + '...'
    name = type(inner).__name__
    return f'{name}: {text}' if text else name


def _head(path: str, size: int = 16) -> bytes:
    with open(path, 'rb') as f:
        return f.read(size)


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode('utf-8')
    except UnicodeDecodeError:
        return False
    return all(c.isprintable() or c in '\r\n\t' for c in text)


def _pickle_record(zf: zipfile.ZipFile) -> Optional[str]:
    for name in zf.namelist():
        if name == 'data.pkl' or name.endswith('/data.pkl'):
            return name
    return None


def _check_format(path: str, what: str) -> str:
    """``'zip'`` or ``'pickle'`` for a file that may be a checkpoint; raise
    :class:`CorruptCheckpointError` for one that cannot be."""
    size = osp.getsize(path)
    if size == 0:
        raise CorruptCheckpointError(
            f'{_describe(what, path)} is not a checkpoint: the file is empty '
            '(0 bytes), e.g. a save that was interrupted.')
    head = _head(path)
    if head.startswith(_ZIP_MAGIC):
        if not zipfile.is_zipfile(path):
            raise CorruptCheckpointError(
                f'{_describe(what, path)} is a truncated or damaged '
                f'checkpoint: it starts as a zip archive (torch.save\'s '
                f'format) but has no complete zip directory ({size} bytes). '
                'It was probably cut short while being saved or '
                'downloaded; use an earlier checkpoint or download it '
                'again.')
        try:
            with zipfile.ZipFile(path) as zf:
                record = _pickle_record(zf)
        except (zipfile.BadZipFile, OSError, ValueError) as err:
            raise CorruptCheckpointError(
                f'{_describe(what, path)} is a damaged zip archive: '
                f'{_reason(err)}') from None
        if record is None:
            raise CorruptCheckpointError(
                f'{_describe(what, path)} is a zip archive but not a '
                'torch.save checkpoint (it has no data.pkl).')
        return 'zip'
    if head[:1] == b'\x80' and len(head) > 1 and 2 <= head[1] <= 5:
        return 'pickle'  # torch's legacy format, or a plain pickle
    # a dict pickled with protocol 0 ('(dp0') or 1 ('}q'), which have no
    # header: a Detectron2 file still gets the converter command
    if head[:1] in (b'(', b'}') and _pickle_kind(path) == 'detectron2':
        raise _detectron2_error(path, what)
    kind = 'a text file' if _looks_like_text(head) else 'binary data'
    raise CorruptCheckpointError(
        f'{_describe(what, path)} is not a checkpoint: it is neither a '
        'torch.save zip archive nor a pickle; it looks like '
        f'{kind} (starts with {head[:12]!r}, {size} bytes).')


def _detectron2_command(path: str) -> str:
    """The command that converts the Detectron2 ``.pkl`` at ``path``."""
    dst = osp.splitext(str(path))[0] + '_mmdet.pth'
    return (f'python {_DETECTRON2_CONVERTER} {shlex.quote(str(path))} '
            f'{shlex.quote(dst)}')


def _detectron2_hint(path: str) -> str:
    return (' A Detectron2 model-zoo .pkl is converted to an mmdet '
            f'checkpoint first: {_detectron2_command(path)} (add --config '
            '<the mmdet model config> to check that it loads strictly).')


class _DictShape:
    """A dict a pickle builds, as far as disassembly tells: its str keys."""

    __slots__ = ('keys', )

    def __init__(self, keys: Iterable[Any] = ()):
        self.keys = {k for k in keys if isinstance(k, str)}


def _first_pickle_top(stream: io.BufferedIOBase) -> Tuple[list, Any]:
    """``(ops, top)`` of the first pickle of ``stream``, by disassembly
    only (nothing is executed): the names of its opcodes, and its top-level
    object: a :class:`_DictShape` for a dict, the value of an int or a
    string, None for anything else.

    A small stack machine over ``pickletools``' description of each opcode
    tracks only what a dict's keys need (dicts, strings, the memo).

    Raises:
        ValueError: The stream is no complete pickle.
    """
    ops: List[str] = []
    stack: List[Any] = []
    memo: Dict[Any, Any] = {}
    mark = pickletools.markobject
    for op, arg, _ in pickletools.genops(stream):
        name = op.name
        ops.append(name)
        if name == 'STOP':
            if len(stack) != 1:
                raise ValueError('unbalanced pickle stack')
            return ops, stack[0]
        if name in ('PUT', 'BINPUT', 'LONG_BINPUT'):
            memo[arg] = stack[-1]
            continue
        if name == 'MEMOIZE':
            memo[len(memo)] = stack[-1]
            continue
        if name in ('GET', 'BINGET', 'LONG_BINGET'):
            stack.append(memo.get(arg))
            continue
        if name == 'MARK':
            stack.append(mark)
            continue
        before, sliced = op.stack_before, []
        if mark in before:
            at = len(stack) - 1 - stack[::-1].index(mark)
            sliced = stack[at + 1:]
            del stack[at:]
            count = before.index(mark)
        else:
            count = len(before)
        if count > len(stack):
            raise ValueError('pickle stack underflow')
        popped = stack[len(stack) - count:]
        del stack[len(stack) - count:]
        if name == 'EMPTY_DICT':
            stack.append(_DictShape())
        elif name == 'DICT':
            stack.append(_DictShape(sliced[0::2]))
        elif name in ('SETITEM', 'SETITEMS'):
            target = popped[0]
            keys = popped[1:2] if name == 'SETITEM' else sliced[0::2]
            if isinstance(target, _DictShape):
                target.keys.update(k for k in keys if isinstance(k, str))
            stack.append(target)
        elif name in ('APPEND', 'APPENDS', 'ADDITEMS', 'BUILD'):
            stack.append(popped[0])  # changed in place
        elif name == 'DUP':
            stack += popped * 2
        elif name in _STRING_OPS or name in _INT_OPS:
            stack.append(arg)
        else:
            stack += [None] * len(op.stack_after)
    raise ValueError('pickle without STOP')


def _pickle_kind(path: str) -> Optional[str]:
    """What a file of the ``'pickle'`` format (:func:`_check_format`) is,
    by disassembling its first pickle, nothing executed:

    - ``'torch'``: ``torch.save``'s legacy format, which starts with a
      pickle of torch's magic number alone;
    - ``'detectron2'``: a Detectron2 model-zoo file, a plain pickle of a
      dict with ``'model'`` and ``'__author__'`` (or
      ``'matching_heuristics'``) keys;
    - ``'pickle'``: any other complete pickle, which ``torch.load`` cannot
      read whatever the opt-in: it first unpickles the (whole) pickle to
      compare it with the magic number, so a plain pickle's code would run
      before the load fails;
    - None: not even a complete pickle (truncated or damaged).
    """
    try:
        with open(path, 'rb') as f:
            ops, top = _first_pickle_top(f)
    except Exception:  # noqa: B902 - any disassembly failure: no pickle
        return None
    body = [name for name in ops if name not in ('PROTO', 'FRAME', 'STOP')]
    if (len(body) == 1 and body[0] in _INT_OPS
            and top == torch.serialization.MAGIC_NUMBER):
        return 'torch'
    if isinstance(top, _DictShape) and 'model' in top.keys and (
            top.keys & {'__author__', 'matching_heuristics'}):
        return 'detectron2'
    return 'pickle'


def pickle_top_level_keys(path: str) -> Optional[frozenset]:
    """The str keys of the dict a plain pickle file holds, found by
    disassembly (nothing from the file runs); None when its (first) object
    is no dict.

    :mod:`mmlogitkd.models.converters.detectron2` checks with it that a
    file is laid out as a Detectron2 checkpoint before unpickling it without
    restriction.

    Raises:
        CorruptCheckpointError: The file is no complete pickle.
    """
    try:
        with open(path, 'rb') as f:
            _, top = _first_pickle_top(f)
    except Exception as err:  # noqa: B902 - any disassembly failure
        raise CorruptCheckpointError(
            f'"{path}" is no complete pickle ({osp.getsize(path)} bytes): '
            f'{_reason(err)}') from None
    return frozenset(top.keys) if isinstance(top, _DictShape) else None


def _detectron2_error(path: str, what: str) -> CorruptCheckpointError:
    return CorruptCheckpointError(
        f'{_describe(what, path)} is a Detectron2 model-zoo checkpoint '
        '(a plain pickle of numpy arrays), not a torch.save checkpoint '
        'of an mmdet model, and no loading option reads it. Convert it '
        f'once: {_detectron2_command(path)} (add --config <the mmdet '
        'model config, e.g. '
        'configs/_base_/models/frcnn_r101_fpn_caffe_d2.py> to check '
        'that it loads strictly), then give the .pth instead. The file '
        'was not unpickled, so nothing from it ran.')


def _refuse_foreign_pickle(path: str, what: str, allow_unsafe: bool) -> None:
    """Refuse a ``'pickle'``-format file that is no ``torch.save``
    checkpoint before anything unpickles it.

    A Detectron2 model-zoo ``.pkl`` is refused, opt-in or not, naming the
    converter command. Any other complete pickle without torch's legacy
    header is refused too, opt-in or not: ``torch.load`` would unpickle it
    (running whatever it names, with the opt-in) and then fail. Without the
    opt-in, one naming globals outside the allow-list is reported as unsafe
    (as ``torch.load`` would), but without advice to opt in, which would
    not help. An incomplete pickle is left to the weights-only load, which
    runs nothing and classifies it, or refused with the opt-in.
    """
    kind = _pickle_kind(path)
    if kind == 'detectron2':
        raise _detectron2_error(path, what)
    if kind == 'torch' or (kind is None and not allow_unsafe):
        return
    if kind is None:
        raise CorruptCheckpointError(
            f'{_describe(what, path)} is a truncated or damaged checkpoint '
            f'({osp.getsize(path)} bytes): its first pickle is incomplete, '
            'so it was not unpickled even with the opt-in. Use an earlier '
            'checkpoint, or save / download this one again.')
    hint = _detectron2_hint(path) if str(path).endswith('.pkl') else ''
    not_torch = ('torch.load cannot read it, with or without opting in to '
                 'unsafe loading, because it is a plain pickle, not a '
                 'torch.save checkpoint (it lacks torch\'s legacy header).')
    offending = [] if allow_unsafe else _unsafe_globals(path, 'pickle')
    if offending:
        names = ', '.join(offending)
        raise UnsafeCheckpointError(
            f'Refused to load {_describe(what, path)}: it needs {names}, '
            'which is not in the allow-list (unpickling it can run arbitrary '
            'code); nothing from the file was run. Moreover, ' + not_torch +
            hint)
    raise CorruptCheckpointError(
        f'{_describe(what, path)} is a pickle but not a torch.save '
        'checkpoint (it lacks torch\'s legacy header), which torch.load '
        'cannot read, with or without opting in to unsafe loading; it was '
        'not unpickled, so nothing from it ran.' + hint)


def _pickle_stream(path: str, fmt: str) -> io.BytesIO:
    """The bytes of the (first) pickle of a checkpoint file."""
    if fmt == 'zip':
        with zipfile.ZipFile(path) as zf:
            return io.BytesIO(zf.read(_pickle_record(zf)))
    with open(path, 'rb') as f:
        return io.BytesIO(f.read())


def _scan_globals(stream: io.BytesIO) -> Tuple[List[str], bool]:
    """The globals a pickle names (best effort for STACK_GLOBAL) and whether
    the pickle is well formed, by disassembly only: nothing is executed."""
    names: List[str] = []
    pushed: List[Any] = []  # strings pushed, None for any other push
    memo: Dict[Any, Any] = {}
    string_ops = ('SHORT_BINUNICODE', 'BINUNICODE', 'BINUNICODE8', 'UNICODE',
                  'SHORT_BINSTRING', 'BINSTRING', 'STRING')
    try:
        for op, arg, _ in pickletools.genops(stream):
            name = op.name
            if name in ('GLOBAL', 'INST'):
                names.append(str(arg).replace(' ', '.'))
            elif name == 'STACK_GLOBAL':
                parts = pushed[-2:]
                names.append('.'.join(parts) if len(parts) == 2 and all(
                    isinstance(p, str) for p in parts) else
                              '<a global named on the stack>')
            elif name.startswith('EXT'):
                names.append(f'<extension registry code {arg}>')
            if name in string_ops:
                pushed.append(arg)
            elif name in ('BINPUT', 'LONG_BINPUT', 'PUT'):
                memo[arg] = pushed[-1] if pushed else None
            elif name == 'MEMOIZE':
                memo[len(memo)] = pushed[-1] if pushed else None
            elif name in ('BINGET', 'LONG_BINGET', 'GET'):
                pushed.append(memo.get(arg))
            elif op.stack_after:
                pushed.append(None)
    except Exception:  # not a (complete) pickle
        return names, False
    return names, True


def _allowed_global_names() -> set:
    from torch import _weights_only_unpickler as wo
    return set(wo._get_allowed_globals()) | set(wo._get_user_allowed_globals())


def _unsafe_globals(path: str, fmt: str) -> List[str]:
    """Globals of a checkpoint outside the allow-list, by disassembly."""
    if fmt == 'zip':
        try:
            with _allow_list():
                return sorted(
                    torch.serialization.get_unsafe_globals_in_checkpoint(
                        path))
        except Exception:
            return []
    # torch's legacy format is a sequence of pickles (magic number,
    # protocol, system info, the object, storage keys) then raw bytes; a
    # plain pickle is the object alone
    try:
        with _allow_list():
            allowed = _allowed_global_names()
    except Exception:  # private torch API moved: leave it to the full load
        return []
    names: List[str] = []
    with open(path, 'rb') as f:
        stream = io.BytesIO(f.read())
    for _ in range(4):
        found, well_formed = _scan_globals(stream)
        names += found
        if not well_formed or stream.tell() >= len(stream.getbuffer()):
            break
    return sorted({n for n in names if n not in allowed})


def _unsafe_error(path: str, what: str, offending: Sequence[str],
                  detail: str, opt_in: Optional[str]) -> UnsafeCheckpointError:
    if offending:
        names = ', '.join(dict.fromkeys(offending))
        found = f'it needs {names}, which is not in the allow-list'
    else:
        found = f'it asks for an object outside the allow-list ({detail})'
    return UnsafeCheckpointError(
        f'Refused to load {_describe(what, path)}: {found}. Safe loading '
        '(torch.load(weights_only=True) plus the plain types mmengine and '
        'mmlogitkd checkpoints hold) reads tensors, numbers, strings and '
        'containers only, because unpickling any other object can run '
        'arbitrary code; nothing from the file was run.' +
        _opt_in_sentence(opt_in) +
        ' Better: re-save it as a plain state dict.')


def _classify_failure(err: BaseException, path: str, fmt: str, what: str,
                      opt_in: Optional[str], safe: bool) -> CheckpointError:
    """Turn an exception of ``torch.load`` into our error types."""
    reason = _reason(err)
    if safe and isinstance(err, pickle.UnpicklingError):
        inner = str(err.__context__ or err)
        match = re.search(r'GLOBAL ([\w.]+)', inner)
        if match or any(p in inner for p in _UNSAFE_PATTERNS):
            offending = _unsafe_globals(path, fmt)
            if match and match.group(1) not in offending:
                offending.insert(0, match.group(1))
            return _unsafe_error(path, what, offending, reason, opt_in)
        if 'Unsupported operand' in inner:
            # an opcode the weights-only unpickler lacks: a pickle written
            # by pickle.dump (protocol 4+), or no pickle at all
            names, well_formed = _scan_globals(_pickle_stream(path, fmt))
            if well_formed and names:
                return _unsafe_error(path, what, names, reason, opt_in)
            if well_formed:
                return CorruptCheckpointError(
                    f'{_describe(what, path)} is a pickle but not a '
                    f'torch.save checkpoint ({reason}).')
    if 'Invalid magic number' in str(err):
        hint = _detectron2_hint(path) if str(path).endswith('.pkl') else ''
        return CorruptCheckpointError(
            f'{_describe(what, path)} is a pickle but not a torch.save '
            'checkpoint (it lacks torch\'s legacy header).' + hint)
    if isinstance(err, (ModuleNotFoundError, AttributeError)) and not safe:
        return CheckpointError(
            f'{_describe(what, path)} refers to a Python object that does '
            f'not exist here ({reason}); import the code that defines it '
            'first.')
    size = osp.getsize(path)
    return CorruptCheckpointError(
        f'{_describe(what, path)} is a truncated or damaged checkpoint '
        f'({size} bytes): reading it failed with {reason}. Use an earlier '
        'checkpoint, or save / download this one again.')


def _download(url: str) -> str:
    """The local copy of ``url`` in torch hub's cache, fetched by local rank
    0 first in a distributed run, as mmengine's ``load_from_http`` does."""
    from urllib.parse import urlparse

    from mmengine.dist import barrier, get_dist_info
    cache = osp.join(torch.hub.get_dir(), 'checkpoints')
    os.makedirs(cache, exist_ok=True)
    local = osp.join(cache, osp.basename(urlparse(url).path) or 'checkpoint')
    rank, world_size = get_dist_info()
    if rank == 0 and not osp.isfile(local):
        # writes a temporary file, renamed once complete
        torch.hub.download_url_to_file(url, local, progress=False)
    if world_size > 1:
        barrier()
        if not osp.isfile(local):
            torch.hub.download_url_to_file(url, local, progress=False)
    return local


def load_checkpoint_file(filename: str,
                         map_location: Any = 'cpu',
                         *,
                         allow_unsafe: bool = False,
                         safe_globals: Sequence[Any] = (),
                         what: str = 'checkpoint',
                         opt_in: Optional[str] = None,
                         fmt: str = 'torch') -> Any:
    """Load a checkpoint file safely; the toolkit's only way to read one.

    Args:
        filename (str): A local path or an ``http(s)://`` URL (downloaded to
            torch hub's cache, then read like a local file).
        map_location: As for ``torch.load``. Defaults to ``'cpu'``.
        allow_unsafe (bool): Read a file the caller trusts with plain
            unpickling (``weights_only=False``), which can run code the file
            names. Defaults to False.
        safe_globals (Sequence): More types to allow for this call only
            (e.g. ``argparse.Namespace`` for RepDistiller checkpoints).
        what (str): How messages name the file, e.g. ``'teacher_ckpt'``.
        opt_in (str, optional): How the user opts in where this is called,
            for the refusal message, e.g. ``'set
            model.allow_unsafe_checkpoint=True'``.
        fmt (str): ``'torch'`` (``torch.save`` files) or a format
            registered with :func:`register_checkpoint_reader`
            (``'detectron2'``: a model-zoo ``.pkl``, read by its restricted
            unpickler, once :mod:`mmlogitkd.models.converters` is
            imported).

    Returns:
        The loaded object.

    Raises:
        FileNotFoundError: The file does not exist.
        UnsafeCheckpointError: Safe loading refuses the file; the message
            names the file, the offending global(s) and the opt-in.
        CorruptCheckpointError: The file is no checkpoint or is truncated.
    """
    scheme_loader = _scheme_loader(filename)
    if scheme_loader is not None:
        return scheme_loader(filename, map_location)
    if _is_url(filename):
        filename = _download(filename)
    filename = osp.expanduser(str(filename))
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{_describe(what, filename)} does not exist')
    if fmt != 'torch':
        return _read_registered(fmt, filename, allow_unsafe, opt_in)
    file_fmt = _check_format(filename, what)
    if file_fmt == 'pickle':
        _refuse_foreign_pickle(filename, what, allow_unsafe)
    try:
        with warnings.catch_warnings():
            # torch warns about pickles of protocol > 2 before refusing or
            # reading them; our own message says what matters
            warnings.filterwarnings(
                'ignore', message='Detected pickle protocol')
            if allow_unsafe:
                return torch.load(
                    filename, map_location=map_location, weights_only=False)
            with _allow_list(safe_globals):
                return torch.load(
                    filename, map_location=map_location, weights_only=True)
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception as err:  # noqa: B902 - every failure gets classified
        raise _classify_failure(err, filename, file_fmt, what, opt_in,
                                not allow_unsafe) from None


def _read_registered(fmt: str, path: str, allow_unsafe: bool,
                     opt_in: Optional[str]) -> Any:
    """Read ``path`` with the reader registered for ``fmt``."""
    reader = _READERS.get(fmt)
    if reader is None:
        known = ', '.join(f'"{name}"' for name in ['torch', *_READERS])
        raise ValueError(
            f'fmt must be one of {known} (a reader is registered by the '
            f'module that knows its format, e.g. mmlogitkd.models.converters '
            f'for "detectron2"), got {fmt!r}')
    try:
        return reader(path, allow_unsafe)
    except UnsafeCheckpointError as err:
        # same type (e.g. UnsafePickleError), with how to opt in at this call
        raise type(err)(f'{err}{_opt_in_sentence(opt_in)}') from None


def check_checkpoint_file(filename: str,
                          *,
                          allow_unsafe: bool = False,
                          what: str = 'checkpoint',
                          opt_in: Optional[str] = None) -> None:
    """Refuse a checkpoint early, without loading its tensors.

    Checks that the file exists and is a complete ``torch.save`` file, and
    (for the zip format) that its pickle names only allowed globals, so
    ``tools/train.py`` fails on a bad ``load_from`` / ``--resume`` before it
    builds the model. The full load still runs safely afterwards; this is a
    fast first look, not a replacement.
    """
    if _is_url(filename) or _scheme_loader(filename) is not None:
        return  # checked when downloaded and loaded
    filename = osp.expanduser(str(filename))
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{_describe(what, filename)} does not exist')
    fmt = _check_format(filename, what)
    if fmt == 'pickle':
        _refuse_foreign_pickle(filename, what, allow_unsafe)
    if allow_unsafe:
        return
    offending = _unsafe_globals(filename, fmt)
    if offending:
        raise _unsafe_error(filename, what, offending, '', opt_in)


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------


def _temporary_sibling(path: str) -> str:
    folder, name = osp.split(path)
    # hidden, and not ending in .pth: no glob of checkpoints matches it
    return osp.join(folder, f'.{name}.{os.getpid()}.tmp')


def _remove_stale_temporaries(path: str) -> None:
    """Remove what earlier writers of ``path`` killed mid-save left behind
    (their process is gone); a live writer's file is left alone."""
    folder, name = osp.split(path)
    prefix = f'.{name}.'
    try:
        entries = os.listdir(folder or '.')
    except OSError:
        return
    for entry in entries:
        if not (entry.startswith(prefix) and entry.endswith('.tmp')):
            continue
        pid = entry[len(prefix):-len('.tmp')]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
            continue  # still running (or a reused pid): not ours to remove
        except ProcessLookupError:
            pass
        except OSError:  # e.g. no permission to signal it: alive
            continue
        with contextlib.suppress(OSError):
            os.remove(osp.join(folder, entry))


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder or '.', os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _atomic_write(path: str, write: Callable[[Any], None]) -> None:
    """Run ``write(file)`` on a temporary sibling of ``path``, then rename it
    over ``path``: readers see the old file or the new one, never a part."""
    path = os.fspath(path)
    if osp.islink(path):
        path = osp.realpath(path)  # replace the target, keep the link
    folder = osp.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    tmp = _temporary_sibling(path)
    try:
        # 'wb' on a fresh name: permissions follow the umask as for the
        # plain open() this replaces
        with open(tmp, 'wb') as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    _fsync_dir(folder)
    _remove_stale_temporaries(path)


def atomic_write_bytes(data: bytes, path: str) -> None:
    """Write ``data`` to ``path`` atomically (temporary file + rename)."""
    _atomic_write(path, lambda f: f.write(data))


def atomic_save(obj: Any, path: str) -> None:
    """``torch.save(obj, path)``, atomically (temporary file + rename)."""
    _atomic_write(path, lambda f: torch.save(obj, f))


def _is_complete(path: str) -> bool:
    try:
        _check_format(path, '')
    except (CheckpointError, OSError):
        return False
    return True


def find_resumable_checkpoint(work_dir: str,
                              logger: Optional[Callable[[str], None]] = None
                              ) -> Optional[str]:
    """The checkpoint an automatic ``--resume`` should continue from.

    The file named by ``<work_dir>/last_checkpoint`` (what mmengine's
    ``CheckpointHook`` writes after each save) when it is a complete
    checkpoint; otherwise, e.g. when that file was damaged, or the run was
    killed while writing ``last_checkpoint`` itself, the newest complete
    ``*.pth`` of ``work_dir``. None when there is none.
    """
    say = logger or (lambda msg: None)
    candidates = []
    record = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(record):
        with open(record) as f:
            named = f.read().strip()
        if named:
            candidates.append(named)
            if not osp.isabs(named):  # relative to the run's cwd, or here
                candidates.append(osp.join(work_dir, osp.basename(named)))
    for path in dict.fromkeys(candidates):
        if osp.isfile(path) and _is_complete(path):
            return path
    if candidates:
        say(f'{record} names {candidates[0]}, which is missing or not a '
            'complete checkpoint; looking for the newest complete one.')
    if not osp.isdir(work_dir):
        return None
    found = [
        osp.join(work_dir, name) for name in os.listdir(work_dir)
        if name.endswith('.pth') and not name.startswith('.')
    ]
    found = [p for p in found if osp.isfile(p)]
    for path in sorted(found, key=osp.getmtime, reverse=True):
        if _is_complete(path):
            return path
        say(f'skipping {path}: not a complete checkpoint')
    return None


# --------------------------------------------------------------------------
# Checksums
# --------------------------------------------------------------------------


def state_dict_sha256(state_dict: Mapping[str, Any]) -> str:
    """sha256 over a state dict: every tensor's name, dtype, shape and bytes
    in sorted key order, so equal weights give equal digests wherever they
    live (device, storage sharing, key order)."""
    digest = hashlib.sha256()
    for key in sorted(state_dict):
        value = state_dict[key]
        if not isinstance(value, torch.Tensor):
            continue
        tensor = value.detach().to('cpu').contiguous()
        digest.update(f'{key}|{tensor.dtype}|{tuple(tensor.shape)}|'.encode())
        if tensor.numel():
            digest.update(
                tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()
